// The tensor engine: tensors, seeded randomness, the kernel backend seam and every op.
export * from "./tensor.js";
export * from "./random.js";
export * from "./backend.js";
export * from "./choose-backend.js";
export * from "./ops/matmul.js";
export * from "./ops/linear.js";
export * from "./ops/linear-half.js";
export * from "./ops/linear-int8.js";
export * from "./ops/half.js";
export * from "./ops/attention.js";
export * from "./ops/softmax.js";
export * from "./ops/layernorm.js";
export * from "./ops/gelu.js";
export * from "./ops/tanh.js";
export * from "./ops/sigmoid.js";
export * from "./ops/embedding.js";
export * from "./ops/lstm-cell.js";
