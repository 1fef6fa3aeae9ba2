/**
 * The WHOOSH API's bodies as zod schemas (snake_case on the wire, camelCase out). Required
 * fields are the ones bzzz cannot work without; the rest default the way the original's
 * Go structs did (missing booleans are false, missing lists empty).
 */
import { z } from 'zod';
import type { WhooshRepository, WhooshTask } from './types.js';

const repository = z
  .object({
    project_id: z.number().int().nonnegative(),
    name: z.string(),
    git_url: z.string().min(1),
    owner: z.string().min(1),
    repository: z.string().min(1),
    branch: z.string().min(1).default('main'),
    bzzz_enabled: z.boolean().default(false),
    ready_to_claim: z.boolean().default(false),
    private_repo: z.boolean().default(false),
    github_token_required: z.boolean().default(false),
  })
  .transform((r): WhooshRepository => ({
    projectId: r.project_id,
    name: r.name,
    gitUrl: r.git_url,
    owner: r.owner,
    repository: r.repository,
    branch: r.branch,
    bzzzEnabled: r.bzzz_enabled,
    readyToClaim: r.ready_to_claim,
    privateRepo: r.private_repo,
    githubTokenRequired: r.github_token_required,
  }));

export const activeReposSchema = z.object({ repositories: z.array(repository) });

const task = z
  .object({
    number: z.number().int().positive(),
    title: z.string(),
    description: z.string().nullish(),
    state: z.string().default('open'),
    labels: z.array(z.string()).default([]),
    html_url: z.string().optional(),
    is_claimed: z.boolean().default(false),
    assignees: z.array(z.string()).default([]),
    task_type: z.string().optional(),
    dependencies: z
      .array(
        z.object({
          repository: z.string(),
          task_number: z.number().int(),
          dependency_type: z.string().default(''),
        }),
      )
      .nullish(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  })
  .transform((t): WhooshTask => ({
    number: t.number,
    title: t.title,
    description: t.description ?? '',
    state: t.state,
    labels: t.labels,
    htmlUrl: t.html_url,
    isClaimed: t.is_claimed,
    assignees: t.assignees,
    taskType: t.task_type,
    dependencies: (t.dependencies ?? []).map((d) => ({
      repository: d.repository,
      taskNumber: d.task_number,
      dependencyType: d.dependency_type,
    })),
    createdAt: t.created_at,
    updatedAt: t.updated_at,
  }));

export const tasksSchema = z.array(task);

/** A successful claim: `{"success": true, "claim_id": "..."}` (an empty body is accepted too). */
export const claimSchema = z
  .object({ success: z.boolean().optional(), claim_id: z.string().optional() })
  .nullable()
  .transform((c) => ({ claim_id: c?.claim_id }));

/** A 409: `{"error": "Task already claimed", "claimed_by": "...", "claimed_at": "..."}`. */
export const claimConflictSchema = z
  .object({ error: z.string().optional(), claimed_by: z.string().optional() })
  .nullable()
  .transform((c) => ({ claimed_by: c?.claimed_by }));
