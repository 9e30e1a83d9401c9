/** The built-in algorithm version the stack trains with by default. */
export const DEFAULT_XGBOOST_VERSION = '1.7-1';

/**
 * ECR registry account of SageMaker's built-in XGBoost (1.x) images, per commercial region.
 * Source: the SageMaker Python SDK's image_uri_config/xgboost.json (the table behind
 * `sagemaker.image_uris.retrieve("xgboost", region, "1.7-1")`) and the SageMaker developer guide,
 * "Docker Registry Paths and Example Code". GovCloud, China and ISO partitions are deliberately absent.
 */
export const XGBOOST_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/** The built-in XGBoost image for a region, or undefined when the region is not in the table. */
export function builtInXgboostImage(region: string, version = DEFAULT_XGBOOST_VERSION): string | undefined {
  const account = XGBOOST_REGISTRY_ACCOUNTS[region];
  return account && `${account}.dkr.ecr.${region}.amazonaws.com/sagemaker-xgboost:${version}`;
}

/** True for images that run SageMaker's built-in XGBoost algorithm (the stack's default trainer). */
export function isBuiltInXgboostImage(image: string): boolean {
  return /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/sagemaker-xgboost:/.test(image);
}

/** An ECR repository, as named in an image URI `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>[:tag|@digest]`. */
export interface EcrRepository {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  /** `aws-cn` for a registry under amazonaws.com.cn; undefined otherwise (the stack's own partition). */
  readonly partition?: 'aws-cn';
}

const ECR_IMAGE_URI =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::[\w.-]+|@sha256:[a-f0-9]{64})?$/;

/** The repository an ECR image URI names, or undefined when the URI is not an ECR image. */
export function ecrRepositoryOf(image: string): EcrRepository | undefined {
  const match = ECR_IMAGE_URI.exec(image);
  if (!match) return undefined;
  const [, account = '', region = '', china, name = ''] = match;
  return china ? { account, region, name, partition: 'aws-cn' } : { account, region, name };
}
