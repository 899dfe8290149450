/** A well-formed Online Retail order record (the first line of the data), shared by the Silver tests. */
export const sampleOrderRecord: Readonly<Record<string, unknown>> = {
  orderLineId: 'i:1',
  InvoiceNo: '536365',
  StockCode: '85123A',
  Description: 'WHITE HANGING HEART T-LIGHT HOLDER',
  Quantity: 6,
  InvoiceDate: '2010-12-01 08:26:00',
  UnitPrice: 2.55,
  CustomerID: '17850.0',
  Country: 'United Kingdom',
};
