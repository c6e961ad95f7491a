// How each setting is edited in the window, read off the engine's schema (type, bounds, choices,
// description) so the form never declares a setting of its own.
import * as z from 'zod';
import { SETTING_LABELS, settingsSchema, type SettingKey } from '../engine/index.js';
import type { SettingField } from '../shared/ipc.js';
import { WINDOW_FIXED } from './window-fixed-settings.js';

const FOLDER_KEYS: ReadonlySet<SettingKey> = new Set(['watchDir', 'transitDir', 'archiveDir']);

interface JsonSchemaProperty {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
}

export function settingsFields(): SettingField[] {
  const json = z.toJSONSchema(settingsSchema, { io: 'input', unrepresentable: 'any' });
  const properties = (json.properties ?? {}) as Record<string, JsonSchemaProperty>;
  return (Object.keys(settingsSchema.shape) as SettingKey[]).map((key) => {
    const prop = properties[key] ?? {};
    const field: SettingField = {
      key,
      label: SETTING_LABELS[key],
      description: prop.description ?? '',
      kind: kindOf(key, prop),
    };
    if (prop.enum) field.choices = prop.enum.map(String);
    if (prop.minimum !== undefined) field.min = prop.minimum;
    if (prop.maximum !== undefined) field.max = prop.maximum;
    if (prop.type === 'number') field.fractional = true;
    const fixed = WINDOW_FIXED[key];
    if (fixed) field.fixed = fixed;
    return field;
  });
}

function kindOf(key: SettingKey, prop: JsonSchemaProperty): SettingField['kind'] {
  if (FOLDER_KEYS.has(key)) return 'folder';
  if (prop.enum) return 'choice';
  switch (prop.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return 'integer';
    case 'array':
      return 'list';
    default:
      return 'text';
  }
}
