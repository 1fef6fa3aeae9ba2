/** The labels every sandbox container carries, so a node finds what an earlier crash left behind. */
export const LABEL_NODE = 'bzzz.node';
export const LABEL_TASK = 'bzzz.task';
export const LABEL_SANDBOX = 'bzzz.sandbox';

/** The HTTP status of a Docker engine error, if it has one. */
export const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;
