import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../src/config/index.js';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'bzzz-config-'));
}

describe('configuration', () => {
  it('has the defaults of SPEC §5', () => {
    const config = loadConfig({ env: {}, cwd: dir() });
    expect(config).toMatchObject({
      cluster: 'local',
      http_port: 9000,
      lease_ttl_ms: 10_000,
      max_tasks: 3,
      p2p_mdns: true,
      forge: 'local',
      llm: 'scripted',
    });
    expect(config.nats_url).toBeUndefined();
  });

  it('layers file, then environment, then flags; later wins', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'bzzz.yaml'),
      'cluster: fromfile\nhttp_port: 9100\nmax_tasks: 5\nnode_name: file-node\n',
    );
    const config = loadConfig({
      env: { BZZZ_HTTP_PORT: '9200', BZZZ_MAX_TASKS: '7' },
      flags: { max_tasks: '9' },
      cwd,
    });
    expect(config.cluster).toBe('fromfile');
    expect(config.http_port).toBe(9200);
    expect(config.max_tasks).toBe(9);
    expect(config.node_name).toBe('file-node');
  });

  it('names the key and its source for a bad value', () => {
    expect(() => loadConfig({ env: { BZZZ_HTTP_PORT: 'abc' }, cwd: dir() })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { BZZZ_HTTP_PORT: 'abc' }, cwd: dir() })).toThrow(
      /http_port \(BZZZ_HTTP_PORT\)/,
    );
    expect(() => loadConfig({ env: { BZZZ_FORGE: 'gitlab' }, cwd: dir() })).toThrow(/forge/);
    expect(() => loadConfig({ env: { BZZZ_P2P_MDNS: 'maybe' }, cwd: dir() })).toThrow(/p2p_mdns/);
  });

  it('rejects an unknown key and broken YAML in the file', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'a.yaml'), 'htp_port: 1\n');
    expect(() => loadConfig({ file: 'a.yaml', env: {}, cwd })).toThrow(/htp_port \(a.yaml\): unknown key/);
    writeFileSync(join(cwd, 'b.yaml'), 'cluster: [unclosed\n');
    expect(() => loadConfig({ file: 'b.yaml', env: {}, cwd })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ file: 'missing.yaml', env: {}, cwd })).toThrow(/cannot read: ENOENT/);
  });

  it('reads secrets from files and never prints them', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'token'), 'ghp_secret123\n');
    const config = loadConfig({
      env: { BZZZ_GITHUB_TOKEN_FILE: 'token', BZZZ_OPENAI_API_KEY: 'sk-abc' },
      cwd,
    });
    expect(config.github_token).toBe('ghp_secret123');
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('ghp_secret123');
    expect(shown).not.toContain('sk-abc');
    expect(shown).toContain('[redacted]');
  });

  it('takes OLLAMA_HOST as the ollama_host key', () => {
    expect(loadConfig({ env: { OLLAMA_HOST: 'http://127.0.0.1:11434' }, cwd: dir() }).ollama_host).toBe(
      'http://127.0.0.1:11434',
    );
  });
});
