import { readFile } from 'node:fs/promises';
import { ErrorCodes, VigilError } from '@vigil/model';
import { parseAllDocuments } from 'yaml';
import type { Service, Slo, SloSpecSet, SpecWarning } from './model.js';
import {
  convertOpenSlo,
  isOpenSloDocument,
  validateOpenSloDocument,
  type OpenSloObject,
} from './openslo.js';
import { convertSlothDocument, isSlothDocument, type SlothSliPlugin } from './sloth.js';
import { specInvalid, type DocContext } from './spec-issues.js';
import { convertVigilDocument, isVigilDocument } from './vigil-format.js';

/** Options of {@link loadSloFiles} and {@link parseSloDocument}. */
export interface LoadOptions {
  /**
   * Accept two SLOs with the same id (`<service>-<name>`) in the loaded set,
   * as Sloth's `--ignore-slo-duplicates`. Default false: a duplicate is an error.
   */
  readonly ignoreDuplicates?: boolean;
  /**
   * Sloth SLI plugins by id (`sli.plugin.id` in a `prometheus/v1` spec). Without
   * a plugin for its id, an SLI plugin is rejected as not supported.
   */
  readonly sliPlugins?: ReadonlyMap<string, SlothSliPlugin>;
}

interface Collected {
  services: Service[];
  slos: Slo[];
  warnings: SpecWarning[];
  openslo: OpenSloObject[];
}

/** Parses the YAML documents of one file and converts each by its detected format. */
function collect(
  text: string,
  file: string,
  into: Collected,
  options: LoadOptions | undefined,
): void {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  const nonEmpty = list.filter(
    (d) => d.errors.length > 0 || (d.contents !== null && d.contents !== undefined),
  );
  if (nonEmpty.length === 0)
    throw specInvalid({ file, docIndex: 1, docCount: 1 }, [
      { path: '', rule: 'the file holds no YAML document' },
    ]);
  nonEmpty.forEach((d, i) => {
    const ctx: DocContext = { file, docIndex: i + 1, docCount: nonEmpty.length };
    const err = d.errors[0];
    if (err !== undefined) {
      const pos = err.linePos?.[0];
      const at = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
      throw specInvalid(ctx, [
        {
          path: '',
          rule: `must be valid YAML${at}: ${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        },
      ]);
    }
    const doc: unknown = d.toJS({ maxAliasCount: 100 });
    if (isOpenSloDocument(doc)) {
      into.openslo.push(...validateOpenSloDocument(doc, ctx));
    } else if (
      typeof doc === 'object' &&
      doc !== null &&
      !Array.isArray(doc) &&
      'apiVersion' in doc
    ) {
      throw specInvalid(ctx, [
        {
          path: 'apiVersion',
          rule: `"${String(doc.apiVersion)}" is not supported (Kubernetes PrometheusServiceLevel resources are not supported yet; OpenSLO needs openslo/v1)`,
        },
      ]);
    } else if (isSlothDocument(doc)) {
      const r = convertSlothDocument(doc, ctx, options?.sliPlugins);
      into.services.push(r.service);
      into.slos.push(...r.slos);
      into.warnings.push(...r.warnings);
    } else if (isVigilDocument(doc)) {
      const r = convertVigilDocument(doc, ctx);
      into.services.push(r.service);
      into.slos.push(...r.slos);
    } else {
      throw specInvalid(ctx, [
        {
          path: '',
          rule: 'is not a recognised SLO spec: expected Vigil (service + slos), OpenSLO (apiVersion: openslo/v1) or Sloth (version: prometheus/v1)',
        },
      ]);
    }
  });
}

function finish(c: Collected, options: LoadOptions | undefined): SloSpecSet {
  const converted = convertOpenSlo(c.openslo);
  const slos = [...c.slos, ...converted.slos];
  const services = new Map<string, Service>();
  for (const s of [...c.services, ...converted.services])
    if (!services.has(s.name)) services.set(s.name, s);
  for (const slo of slos)
    if (!services.has(slo.service))
      services.set(slo.service, { name: slo.service, labels: {}, source: slo.source });
  if (options?.ignoreDuplicates !== true) {
    const seen = new Map<string, Slo>();
    for (const slo of slos) {
      const first = seen.get(slo.id);
      if (first !== undefined)
        throw new VigilError(
          ErrorCodes.SLO_SPEC_INVALID,
          `Invalid SLO spec: ${slo.source.file}: ${slo.source.path}: duplicates SLO id "${slo.id}" already declared in ${first.source.file} at ${first.source.path}. Rename one of them.`,
          { details: { file: slo.source.file, id: slo.id } },
        );
      seen.set(slo.id, slo);
    }
  }
  return {
    services: [...services.values()],
    slos,
    warnings: [...c.warnings, ...converted.warnings],
  };
}

/**
 * Parses the SLO spec `text` (one YAML file, possibly several documents),
 * detecting each document's format: Vigil (`service` + `slos`), OpenSLO v1
 * (`apiVersion: openslo/v1`, references resolved within this text) or Sloth
 * (`version: prometheus/v1`). `file` names the source in messages. Throws
 * `SLO_SPEC_INVALID` naming the file, the path and the rule broken. Pure.
 */
export function parseSloDocument(text: string, file: string, options?: LoadOptions): SloSpecSet {
  const c: Collected = { services: [], slos: [], warnings: [], openslo: [] };
  collect(text, file, c, options);
  return finish(c, options);
}

/**
 * Reads and parses the SLO spec files at `paths` as one set (OpenSLO
 * references resolve across files; SLO ids must be unique across them unless
 * `ignoreDuplicates`). Throws `SLO_SPEC_INVALID` for a spec error and for an
 * unreadable file.
 */
export async function loadSloFiles(
  paths: readonly string[],
  options?: LoadOptions,
): Promise<SloSpecSet> {
  const c: Collected = { services: [], slos: [], warnings: [], openslo: [] };
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new VigilError(
        ErrorCodes.SLO_SPEC_INVALID,
        `Cannot read SLO spec file ${path}: ${(err as Error).message}`,
        {
          cause: err,
          details: { file: path },
        },
      );
    }
    collect(text, path, c, options);
  }
  return finish(c, options);
}
