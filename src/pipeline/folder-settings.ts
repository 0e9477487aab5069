// A model folder's own settings beyond config.json, read the way sentence-transformers and Hugging Face
// read them, so that `embed --model DIR` gives what `SentenceTransformer(DIR).encode(...)` gives:
//   modules.json                 the module list: Transformer → Pooling → Normalize (others are warned about)
//   <Pooling path>/config.json   pooling_mode_* flags: cls, max, mean, mean_sqrt_len, weightedmean, lasttoken
//                                (several = their vectors side by side, in that order)
//   sentence_bert_config.json    max_seq_length (token limit, <s> and </s> included), do_lower_case
//   tokenizer_config.json        model_max_length, add_prefix_space, the special tokens
//   special_tokens_map.json      the special tokens (over tokenizer_config.json's, as Hugging Face does)
//   config_sentence_transformers.json   versions, prompts and the similarity function
// Pure: it reads texts the caller fetched (src/io/load-model.ts from disk), keyed by their path in the
// folder. Anything present but not understood is a warning that names the file and the key.
import { parseJson } from "../encoder/json.js";
import { ConfigError, describeValue } from "../errors.js";
import type { TokenizerOverrides } from "../encoder/tokenizer/index.js";

/** Texts of a model folder's settings files, by path relative to the folder ("1_Pooling/config.json"). */
export type FolderFiles = Record<string, string>;

/** One entry of modules.json. */
export interface FolderModule {
  idx: number;
  name: string;
  /** Folder of the module, relative to the model folder ("" = the folder itself). */
  path: string;
  /** Class name without its package, e.g. "Transformer", "Pooling", "Normalize", "Dense". */
  kind: string;
}

/** What a folder asks for; null fields mean "the library's default". */
export interface FolderSettings {
  /** The pooling the folder's Pooling module computes, as a pooling name or spec. */
  pooling: string | object | null;
  /** L2-normalise the vectors (a Normalize module follows the pooling). */
  normalize: boolean;
  /** Token limit with <s> and </s> (max_seq_length, else model_max_length). */
  maxLength: number | null;
  /** Lowercase each text before tokenizing (do_lower_case). */
  lowercase: boolean;
  tokenizer: TokenizerOverrides;
  /** Folder of the Transformer module ("" = the model folder itself; older folders use "0_Transformer"). */
  transformerPath: string;
  /** The files read and what each contributed, for `--verbose`-style notes and docs. */
  sources: { pooling: string | null; normalize: string | null; maxLength: string | null; lowercase: string | null };
  /** Files or keys present but not understood, each naming the file. */
  warnings: string[];
}

/** The settings of a folder that has none of these files. */
export function plainFolderSettings(): FolderSettings {
  return {
    pooling: null, normalize: false, maxLength: null, lowercase: false, tokenizer: {}, transformerPath: "",
    sources: { pooling: null, normalize: null, maxLength: null, lowercase: null }, warnings: [],
  };
}

const MODULES = "modules.json";
const ROOT_FILES = ["config_sentence_transformers.json"] as const;
/** Files that belong to the Transformer module (in its folder). */
const TRANSFORMER_FILES = ["sentence_bert_config.json", "tokenizer_config.json", "special_tokens_map.json"] as const;

// sentence-transformers' pooling modes in the order Pooling.forward concatenates them, with ours.
const POOLING_MODES: readonly [flag: string, mode: string, ours: string][] = [
  ["pooling_mode_cls_token", "cls", "cls"],
  ["pooling_mode_max_tokens", "max", "max"],
  ["pooling_mode_mean_tokens", "mean", "mean"],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens", "mean-sqrt-len"],
  ["pooling_mode_weightedmean_tokens", "weightedmean", "weighted-mean"],
  ["pooling_mode_lasttoken", "lasttoken", "last-token"],
];

/** Hugging Face's "no limit" (int(1e30)) and anything past this is not a real model_max_length. */
const NO_LIMIT = 1_000_000;

function parseObject(text: string, source: string): Record<string, unknown> {
  const value = parseJson(text, source, ConfigError);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`${source}: expected a JSON object`);
  return value as Record<string, unknown>;
}

const join = (dir: string, file: string): string => (dir === "" ? file : `${dir.replace(/\/+$/, "")}/${file}`);

/** Parses modules.json: a list of { idx, name, path, type }. */
export function parseModules(text: string, source = MODULES): FolderModule[] {
  const value = parseJson(text, source, ConfigError);
  if (!Array.isArray(value)) throw new ConfigError(`${source}: expected a list of modules`);
  return value.map((entry: unknown, i): FolderModule => {
    const m = (entry ?? {}) as Record<string, unknown>;
    const type = m["type"];
    if (typeof type !== "string" || type === "") throw new ConfigError(`${source}: module ${i}: "type" must be a class name, got ${describeValue(type)}`);
    const path = m["path"] ?? "";
    if (typeof path !== "string" || path.split("/").includes("..")) throw new ConfigError(`${source}: module ${i}: "path" must be a folder inside the model folder, got ${describeValue(path)}`);
    return { idx: typeof m["idx"] === "number" ? m["idx"] : i, name: String(m["name"] ?? i), path, kind: type.split(".").pop()! };
  });
}

/**
 * The settings files a loader should try to read, relative to the model folder: modules.json's
 * module configs when `modulesJson` is given, else the files a plain Hugging Face folder may have.
 * @example folderFilesToRead(undefined) // ["config_sentence_transformers.json", "sentence_bert_config.json", …]
 */
export function folderFilesToRead(modulesJson?: string, source = MODULES): string[] {
  const modules = modulesJson === undefined ? [] : parseModules(modulesJson, source);
  const transformer = modules.find((m) => m.kind === "Transformer")?.path ?? "";
  const moduleConfigs = modules.filter((m) => m.kind === "Pooling").map((m) => join(m.path, "config.json"));
  return [...ROOT_FILES, ...TRANSFORMER_FILES.map((f) => join(transformer, f)), ...moduleConfigs];
}

/** The folder of the Transformer module named in modules.json ("" = the model folder itself). */
export function transformerPath(modulesJson: string | undefined, source = MODULES): string {
  if (modulesJson === undefined) return "";
  return parseModules(modulesJson, source).find((m) => m.kind === "Transformer")?.path ?? "";
}

/** Reads what `files` (paths relative to the folder, from folderFilesToRead) ask for; `source` names the folder. */
export function parseFolderSettings(files: FolderFiles, source: string, hiddenSize?: number): FolderSettings {
  const settings = plainFolderSettings();
  const where = (path: string): string => `${source}/${path}`;
  const warn = (path: string, message: string): void => void settings.warnings.push(`${where(path)}: ${message}`);
  const modulesText = files[MODULES];
  const modules = modulesText === undefined ? [] : parseModules(modulesText, where(MODULES));
  readModules(modules, files, settings, where, warn, hiddenSize);
  const transformer = settings.transformerPath;
  const read = (file: string): [string, Record<string, unknown>] | null => {
    const path = join(transformer, file);
    const text = files[path];
    return text === undefined ? null : [path, parseObject(text, where(path))];
  };
  const sbert = read("sentence_bert_config.json");
  if (sbert !== null) readSentenceBertConfig(...sbert, settings, where, warn);
  const tokenizerConfig = read("tokenizer_config.json");
  if (tokenizerConfig !== null) readTokenizerConfig(...tokenizerConfig, settings, warn);
  const specials = read("special_tokens_map.json");
  if (specials !== null) readSpecialTokens(...specials, settings, warn, true);
  const stConfig = files["config_sentence_transformers.json"];
  if (stConfig !== undefined) readSentenceTransformersConfig(parseObject(stConfig, where("config_sentence_transformers.json")), warn);
  return settings;
}

type Warn = (path: string, message: string) => void;

function readModules(modules: FolderModule[], files: FolderFiles, settings: FolderSettings, where: (p: string) => string, warn: Warn, hiddenSize?: number): void {
  const expected = ["Transformer", "Pooling", "Normalize"];
  modules.forEach((m, i) => {
    switch (m.kind) {
      case "Transformer":
        settings.transformerPath = m.path;
        break;
      case "Pooling": {
        const path = join(m.path, "config.json");
        const text = files[path];
        if (text === undefined) throw new ConfigError(`${where(path)}: missing (modules.json lists the Pooling module "${m.name}")`);
        settings.pooling = poolingFromConfig(parseObject(text, where(path)), path, warn, where, hiddenSize);
        settings.sources.pooling = path;
        break;
      }
      case "Normalize":
        settings.normalize = true;
        settings.sources.normalize = m.path === "" ? MODULES : m.path;
        break;
      default:
        warn(MODULES, `module ${m.idx} "${m.path || m.name}" (${m.kind}) is not supported and is skipped: vectors will differ from sentence-transformers'`);
        return;
    }
    if (expected.indexOf(m.kind) < expected.indexOf(modules[i - 1]?.kind ?? "Transformer")) {
      warn(MODULES, `module ${m.idx} (${m.kind}) comes after ${modules[i - 1]!.kind}; encoder-pooling always runs Transformer → Pooling → Normalize`);
    }
  });
  if (modules.length > 0 && !modules.some((m) => m.kind === "Pooling")) warn(MODULES, "lists no Pooling module; the default pooling (mean) is used");
}

/** The pooling spec of a Pooling module's config.json. */
function poolingFromConfig(config: Record<string, unknown>, path: string, warn: Warn, where: (p: string) => string, hiddenSize?: number): string | object | null {
  const known = new Set(["word_embedding_dimension", "include_prompt", "pooling_mode", ...POOLING_MODES.map(([flag]) => flag)]);
  for (const key of Object.keys(config)) if (!known.has(key)) warn(path, `unknown key "${key}" is ignored`);
  const dim = config["word_embedding_dimension"];
  if (dim !== undefined && hiddenSize !== undefined && dim !== hiddenSize) {
    throw new ConfigError(`${where(path)}: word_embedding_dimension is ${describeValue(dim)} but the model's hidden size is ${hiddenSize}`);
  }
  const mode = config["pooling_mode"];
  let chosen: string[];
  if (mode !== undefined && mode !== null) {
    const entry = POOLING_MODES.find(([, m]) => m === String(mode).toLowerCase());
    if (entry === undefined) throw new ConfigError(`${where(path)}: pooling_mode ${describeValue(mode)} is not one of ${POOLING_MODES.map(([, m]) => m).join(", ")}`);
    chosen = [entry[2]];
  } else {
    for (const [flag] of POOLING_MODES) {
      const v = config[flag];
      if (v !== undefined && typeof v !== "boolean") throw new ConfigError(`${where(path)}: ${flag} must be true or false, got ${describeValue(v)}`);
    }
    chosen = POOLING_MODES.filter(([flag]) => config[flag] === true).map(([, , ours]) => ours);
  }
  if (chosen.length === 0) {
    warn(path, "selects no pooling mode; the default pooling (mean) is used");
    return null;
  }
  return chosen.length === 1 ? chosen[0]! : { type: "combine", parts: chosen };
}

function readSentenceBertConfig(path: string, config: Record<string, unknown>, settings: FolderSettings, where: (p: string) => string, warn: Warn): void {
  for (const [key, value] of Object.entries(config)) {
    if (key === "max_seq_length") {
      if (value === null) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 3) throw new ConfigError(`${where(path)}: max_seq_length must be an integer >= 3, got ${describeValue(value)}`);
      settings.maxLength = value;
      settings.sources.maxLength = `${path} max_seq_length`;
    } else if (key === "do_lower_case") {
      if (typeof value !== "boolean") throw new ConfigError(`${where(path)}: do_lower_case must be true or false, got ${describeValue(value)}`);
      settings.lowercase = value;
      if (value) settings.sources.lowercase = `${path} do_lower_case`;
    } else if (key === "transformer_task" && value === "feature-extraction") {
      continue;
    } else if (key === "module_output_name" && value === "token_embeddings") {
      continue;
    } else {
      warn(path, `"${key}": ${describeValue(value)} is not understood and is ignored`);
    }
  }
}

// tokenizer_config.json keys that do not change the ids of a text (or that the tokenizer files already
// settle): accepted without a word.
const NEUTRAL_TOKENIZER_KEYS = new Set([
  "errors", "trim_offsets", "clean_up_tokenization_spaces", "name_or_path", "special_tokens_map_file", "model_input_names",
  "padding_side", "added_tokens_decoder", "tokenizer_file", "chat_template", "mask_token", "bos_token", "eos_token",
  "use_fast", "processor_class", "legacy", "extra_special_tokens", "model_max_length", "max_len", "add_prefix_space",
  "tokenizer_class", "cls_token", "sep_token", "pad_token", "unk_token", "additional_special_tokens", "do_lower_case",
  "truncation_side", "split_special_tokens",
]);

function readTokenizerConfig(path: string, config: Record<string, unknown>, settings: FolderSettings, warn: Warn): void {
  for (const key of Object.keys(config)) if (!NEUTRAL_TOKENIZER_KEYS.has(key)) warn(path, `"${key}" is not understood and is ignored`);
  const limit = config["model_max_length"] ?? config["max_len"];
  if (typeof limit === "number" && Number.isInteger(limit) && limit >= 3 && limit <= NO_LIMIT && settings.maxLength === null) {
    settings.maxLength = limit;
    settings.sources.maxLength = `${path} model_max_length`;
  }
  const prefix = config["add_prefix_space"];
  if (typeof prefix === "boolean") settings.tokenizer.addPrefixSpace = prefix;
  const tokenizerClass = config["tokenizer_class"];
  if (typeof tokenizerClass === "string" && !/^(Roberta|GPT2|Bart|Longformer|Camembert|XLMRoberta)Tokenizer(Fast)?$/.test(tokenizerClass)) {
    warn(path, `tokenizer_class ${describeValue(tokenizerClass)}: only RoBERTa's byte-level BPE is implemented; the tokenizer files are read as one`);
  }
  if (config["do_lower_case"] === true) warn(path, "do_lower_case is ignored here, as RobertaTokenizer ignores it (sentence_bert_config.json's do_lower_case is honoured)");
  if (config["truncation_side"] === "left") warn(path, `truncation_side "left" is not supported: over-long texts keep their beginning`);
  if (config["split_special_tokens"] === true) warn(path, "split_special_tokens is not supported: special tokens in a text stay whole");
  readSpecialTokens(path, config, settings, warn, false);
}

/** The content of a special-token entry: "<s>" or { "content": "<s>", … }. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as Record<string, unknown>)["content"] === "string") return (value as Record<string, string>)["content"];
  return undefined;
}

/**
 * cls_token, sep_token, pad_token and unk_token become tokenizer overrides (bos/eos are not put around a
 * RoBERTa input, and <mask> is an added token of the tokenizer files). `strict` warns about other keys.
 */
function readSpecialTokens(path: string, config: Record<string, unknown>, settings: FolderSettings, warn: Warn, strict: boolean): void {
  const roles: Record<string, keyof TokenizerOverrides> = { cls_token: "clsToken", sep_token: "sepToken", pad_token: "padToken", unk_token: "unkToken" };
  for (const [key, value] of Object.entries(config)) {
    const role = roles[key];
    if (role !== undefined) {
      const content = tokenContent(value);
      if (content === undefined) warn(path, `${key} ${describeValue(value)} is not a token and is ignored`);
      else (settings.tokenizer as Record<string, unknown>)[role] = content;
    } else if (key === "additional_special_tokens") {
      if (Array.isArray(value) && value.length > 0) warn(path, "additional_special_tokens are not added: a text holding one is tokenized as plain text");
    } else if (strict && !["mask_token", "bos_token", "eos_token"].includes(key)) {
      warn(path, `"${key}" is not understood and is ignored`);
    }
  }
}

function readSentenceTransformersConfig(config: Record<string, unknown>, warn: Warn): void {
  const path = "config_sentence_transformers.json";
  for (const [key, value] of Object.entries(config)) {
    if (key === "__version__" || key === "model_type") continue;
    if (key === "prompts") {
      if (value !== null && typeof value === "object" && Object.values(value).some((p) => p !== "")) {
        warn(path, `prompts ${Object.keys(value).join(", ")} are not applied: prepend the one you want to your texts`);
      }
    } else if (key === "default_prompt_name") {
      if (value !== null) warn(path, `default_prompt_name ${describeValue(value)}: sentence-transformers prepends that prompt to every text, encoder-pooling does not`);
    } else if (key === "similarity_fn_name") {
      if (value !== null && value !== "cosine") warn(path, `similarity_fn_name ${describeValue(value)}: \`similar\` ranks by cosine similarity`);
    } else {
      warn(path, `"${key}" is not understood and is ignored`);
    }
  }
}
