// The JSON schema conf (daemon) and electron-store (tray app) validate config.json with, derived
// from the zod schema so there is one source. conf wants the `properties` map, not a whole schema.
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
