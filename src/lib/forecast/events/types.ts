/** Calendar inputs of the forecasting engine: plain data, so they travel to pool workers as-is. */

/** A user-supplied event or promotion day for one SKU or every SKU ('*'). */
export interface EventDay {
  /** YYYY-MM-DD. */
  date: string;
  /** A SKU, or '*' for every SKU. */
  sku: string;
  /** Event name; each distinct name is one regressor. */
  name: string;
}

export interface EventCalendar {
  /** ISO 3166 country code for public holidays (date-holidays), e.g. 'GB', 'US', 'DE'. */
  holidayCountry?: string;
  /** Optional state/region code within the country (date-holidays), e.g. 'BY' for Bavaria. */
  holidayRegion?: string;
  events?: EventDay[];
}
