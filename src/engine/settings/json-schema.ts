// config.json's settings as a JSON schema, derived from the zod schema so there is one source, in
// the `properties` map conf and electron-store take. The engine no longer runs it (settings-file.ts
// checks a file before writing with the zod fields themselves); kept for tools that read the file.
// Cross-field rules (refinements) cannot be expressed here; validateSettings() enforces them.
import * as z from 'zod';
import { settingsSchema, type Settings } from './schema.js';

export type SettingsJsonSchema = Record<keyof Settings, Record<string, unknown>>;

export function settingsJsonSchema(): SettingsJsonSchema {
  const whole = z.toJSONSchema(settingsSchema, { io: 'input', target: 'draft-2020-12' });
  const properties = whole.properties;
  if (!properties) throw new Error('settings schema produced no properties');
  return structuredClone(properties) as SettingsJsonSchema;
}
