// The Node entry point: everything of the core API plus the helpers that touch the file system.
export * from "./index.js";
