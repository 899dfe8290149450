const maxRawLength = 4000;

/** The record as quarantine keeps it: JSON text, cut at 4,000 characters. */
export function rawText(record: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > maxRawLength ? `${text.slice(0, maxRawLength)}…` : text;
}
