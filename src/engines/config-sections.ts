/** Every engine's config section, for the config loader (which knows no engine by name). */
import type { EngineSection } from '../config/index.js';
import { IRIS_SECTION } from './iris/config.js';
import { MYSQL_SECTION } from './mysql/config.js';
import { ORACLE_SECTION } from './oracle/config.js';

export const ENGINE_CONFIG_SECTIONS: readonly EngineSection[] = [MYSQL_SECTION, ORACLE_SECTION, IRIS_SECTION];
