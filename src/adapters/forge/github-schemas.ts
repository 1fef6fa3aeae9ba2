/**
 * The parts of GitHub's REST answers the github forge reads, as zod schemas: nothing from
 * the network is trusted before it has passed one of these.
 */
import { z } from 'zod';

const Label = z.union([z.string(), z.object({ name: z.string() })]);

export const Issue = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.enum(['open', 'closed']),
  labels: z.array(Label),
  assignees: z.array(z.object({ login: z.string() })).nullish(),
  html_url: z.string(),
  pull_request: z.unknown().optional(),
});
export type Issue = z.infer<typeof Issue>;

export const Comment = z.object({ body: z.string().nullish() });

export const Pull = z.object({
  number: z.number().int().positive(),
  html_url: z.string(),
  title: z.string(),
  state: z.enum(['open', 'closed']),
  merged_at: z.string().nullish(),
  head: z.object({ ref: z.string(), sha: z.string().nullish() }),
  base: z.object({ ref: z.string() }),
});
export type Pull = z.infer<typeof Pull>;

export const Repo = z.object({
  full_name: z.string(),
  clone_url: z.string(),
  default_branch: z.string(),
});
export type Repo = z.infer<typeof Repo>;

export const User = z.object({ login: z.string() });

/** Any JSON object (for answers whose content bzzz does not read). */
export const AnyObject = z.object({}).loose();

/** Label names of an issue, whichever form GitHub used. */
export function labelNames(issue: Issue): string[] {
  return issue.labels.map((l) => (typeof l === 'string' ? l : l.name));
}
