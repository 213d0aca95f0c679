/**
 * Claude behind Cloud Code, in function-calling mode VALIDATED, refuses a tool whose schema lists no `required`
 * property (issue 16). Peers add one required placeholder argument the model fills with a short reason; the
 * gateway does the same for every dialect when it builds the envelope, and takes that argument out of the calls the
 * model returns, so clients see exactly the arguments of the schema they declared.
 */
import { modelFamily } from '../models.ts';
import type { GeminiRequest } from './types.ts';

const placeholderSchema = { type: 'string', description: 'Brief explanation of why you are calling this tool' };

/** Tool name → the placeholder argument added to its schema. */
export type PlaceholderArguments = ReadonlyMap<string, string>;

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validatedMode(request: GeminiRequest): boolean {
  const mode = request.toolConfig?.functionCallingConfig?.mode;
  return typeof mode === 'string' && mode.toUpperCase() === 'VALIDATED';
}

function needsPlaceholder(schema: unknown): boolean {
  if (!isObject(schema)) return true;
  const required = schema['required'];
  return !(Array.isArray(required) && required.length > 0);
}

/** A property name the schema does not use yet (`reason`, else `agw_reason`, …). */
function freeName(schema: unknown): string {
  const properties = isObject(schema) && isObject(schema['properties']) ? schema['properties'] : {};
  for (const name of ['reason', 'agw_reason', 'agw_call_reason']) if (!Object.hasOwn(properties, name)) return name;
  return `agw_reason_${Object.keys(properties).length}`;
}

interface Declaration {
  name?: unknown;
  parameters?: unknown;
  parametersJsonSchema?: unknown;
}

function declarationsOf(request: GeminiRequest): Declaration[] {
  const found: Declaration[] = [];
  for (const tool of (request.tools ?? []) as Array<Record<string, unknown>>) {
    const list = tool['functionDeclarations'];
    if (Array.isArray(list)) found.push(...(list as Declaration[]));
  }
  return found;
}

/** The placeholder each tool of this request gets (empty unless Claude in VALIDATED mode). Pure. */
export function placeholderArguments(model: string, request: GeminiRequest): PlaceholderArguments {
  const placeholders = new Map<string, string>();
  if (modelFamily(model) !== 'claude' || !validatedMode(request)) return placeholders;
  for (const declaration of declarationsOf(request)) {
    if (typeof declaration.name !== 'string') continue;
    const schema = declaration.parametersJsonSchema ?? declaration.parameters;
    if (needsPlaceholder(schema)) placeholders.set(declaration.name, freeName(schema));
  }
  return placeholders;
}

function withPlaceholder(schema: unknown, name: string): Schema {
  const base: Schema = isObject(schema) ? schema : { type: 'object' };
  const properties = isObject(base['properties']) ? base['properties'] : {};
  return {
    ...base,
    type: base['type'] ?? 'object',
    properties: { ...properties, [name]: placeholderSchema },
    required: [name],
  };
}

/** The request with each placeholder added to its tool's schema; the input is not modified. */
export function addRequiredPlaceholders(request: GeminiRequest, placeholders: PlaceholderArguments): GeminiRequest {
  if (placeholders.size === 0) return request;
  const tools = (request.tools ?? []).map((tool) => {
    const list = (tool as Record<string, unknown>)['functionDeclarations'];
    if (!Array.isArray(list)) return tool;
    return {
      ...tool,
      functionDeclarations: (list as Declaration[]).map((declaration) => {
        const name = typeof declaration.name === 'string' ? placeholders.get(declaration.name) : undefined;
        if (name === undefined) return declaration;
        if (declaration.parametersJsonSchema !== undefined)
          return { ...declaration, parametersJsonSchema: withPlaceholder(declaration.parametersJsonSchema, name) };
        return { ...declaration, parameters: withPlaceholder(declaration.parameters, name) };
      }),
    };
  });
  return { ...request, tools } as GeminiRequest;
}

/** A returned call's arguments without the placeholder the gateway added for that tool. */
export function withoutPlaceholder(
  name: string,
  args: Record<string, unknown>,
  placeholders: PlaceholderArguments,
): Record<string, unknown> {
  const placeholder = placeholders.get(name);
  if (placeholder === undefined || !Object.hasOwn(args, placeholder)) return args;
  const { [placeholder]: _dropped, ...rest } = args;
  return rest;
}
