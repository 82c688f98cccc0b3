// What differs between the settings a run was made with and the ones asked for now, named setting by setting, so that
// a refusal to resume or reuse ("other settings") says which ones and how to get them back.

type Settings = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is Settings => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The settings whose values differ, as "path before there, now now" (nested records by dotted path: recipe.lr).
 * A key `before` lacks is not compared (an older record did not hold it), nor any key listed in `ignore`.
 */
export function settingsDiff(before: Settings, now: Settings, ignore: readonly string[] = [], prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(now)) {
    const path = prefix + k;
    if (ignore.includes(path) || !Object.hasOwn(before, k)) continue;
    const was = before[k];
    if (isRecord(was) && isRecord(v)) out.push(...settingsDiff(was, v, ignore, `${path}.`));
    else if (JSON.stringify(was) !== JSON.stringify(v)) out.push(`${path} ${JSON.stringify(was)} there, ${JSON.stringify(v)} now`);
  }
  return out;
}

/** ' (a; b)' naming the differences, or '' when none could be named (the caller's message stands alone). */
export function differencesClause(before: unknown, now: Settings, ignore: readonly string[] = []): string {
  if (!isRecord(before)) return '';
  const d = settingsDiff(before, now, ignore);
  return d.length === 0 ? '' : ` (${d.join('; ')})`;
}
