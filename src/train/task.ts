// The three tasks a head learns, and the metrics each is judged by.
export type Task = "regression" | "classification" | "multilabel";

export const TASKS: readonly Task[] = ["regression", "classification", "multilabel"];

/** The metric names of a task, the first being the default for early stopping and comparisons. */
export const TASK_METRICS: Record<Task, readonly string[]> = {
  regression: ["rmse", "mae", "pearson"],
  classification: ["macroF1", "accuracy", "logLoss"],
  multilabel: ["microF1", "macroF1"],
};

/** The metric a run selects on by default: the task's first (macroF1, rmse, microF1). */
export function defaultMetric(task: Task): string {
  return TASK_METRICS[task][0]!;
}

/** True when a larger value of `metric` is better (F1, accuracy, Pearson); false for errors and losses. */
export function higherIsBetter(metric: string): boolean {
  return !(metric === "rmse" || metric === "mae" || metric === "logLoss" || metric === "loss");
}
