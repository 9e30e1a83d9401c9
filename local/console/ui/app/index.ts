/// <reference lib="dom" />
/** The browser bundle's entry: registers every section's routes, then starts the console. */
import { start } from './main';

start();
