/** Counts keyed by reason code, e.g. { cancellation: 9288, non_product_code: 2995 }. */
export type ReasonCounts = Record<string, number>;
