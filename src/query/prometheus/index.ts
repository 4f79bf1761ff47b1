// The Prometheus metadata part of the query service: the series catalog over LMDB, selectors, and the endpoint handlers.
export { SeriesCatalog, compareCodePoints, compareLabelSets, type NameMatch, type NameSearch, type SeriesCatalogOptions, type SeriesLabels, type TimeRange } from './catalog.ts';
export { labelValuesHandler, labelsHandler, metricNamesHandler, seriesHandler, parseTimeParameter, NAME_SEARCH, type PrometheusError, type PrometheusSuccess, type QueryResponse } from './handlers.ts';
export { anchoredRegex, matcher, parseSelector, selectorMatches, SelectorError, type MatchOp, type Matcher, type Selector } from './selector.ts';
export { catalogTenant, prometheusSeriesOf, type LabelPairs } from './seriesLabels.ts';
