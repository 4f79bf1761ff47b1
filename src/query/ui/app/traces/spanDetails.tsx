// The selected span: what it is (service, kind, status, times), its attributes, events, links, resource and scope,
// and the logs it wrote.
import { Fragment, type JSX } from 'preact';
import { formatNanos } from '../format.ts';
import { href } from '../router.ts';
import { KIND_NAMES, STATUS_NAMES, valueText, type FlatSpan, type LogEntry, type OtlpKeyValue, type SpanDetail } from './model.ts';

function Attributes({ list, testid }: { list: OtlpKeyValue[]; testid?: string }): JSX.Element {
  if (list.length === 0) return <p class="muted">none</p>;
  return (
    <dl class="kv" data-testid={testid}>
      {list.map((a, i) => (
        <Fragment key={i}>
          <dt>{a.key}</dt>
          <dd class="mono">{valueText(a.value)}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

interface Props {
  span: FlatSpan;
  detail: SpanDetail | undefined;
  /** The details are still on their way. */
  pending: boolean;
  traceId: string;
  traceStart: bigint;
  logs: LogEntry[];
  onSelect: (spanId: string) => void;
}

export function SpanDetails({ span, detail, pending, traceId, traceStart, logs, onSelect }: Props): JSX.Element {
  const offset = Number(BigInt(span.startUnixNano) - traceStart);
  const status = detail ? STATUS_NAMES[detail.status.code] ?? String(detail.status.code) : span.status;
  return (
    <div class="span-details" data-testid="span-details" data-span-id={span.spanId}>
      <h2>
        <span class="wf-service">{span.service}</span> {span.name}
      </h2>
      <dl class="kv">
        <dt>span id</dt>
        <dd class="mono">{span.spanId}</dd>
        <dt>parent</dt>
        <dd class="mono">
          {span.parentSpanId === '' ? (
            <span class="muted">(root)</span>
          ) : (
            <a href="#" onClick={(e) => { e.preventDefault(); onSelect(span.parentSpanId); }}>{span.parentSpanId}</a>
          )}
        </dd>
        <dt>kind</dt>
        <dd>{detail ? KIND_NAMES[detail.kind] ?? String(detail.kind) : span.kind}</dd>
        <dt>status</dt>
        <dd>
          {status === 'error' ? <span class="badge error">error</span> : status}
          {detail?.status.message ? <span> — {detail.status.message}</span> : null}
        </dd>
        <dt>start</dt>
        <dd>+{formatNanos(offset)}</dd>
        <dt>duration</dt>
        <dd>{formatNanos(Number(span.durationNanos))}</dd>
        <dt>self time</dt>
        <dd>{formatNanos(Number(span.selfNanos))}</dd>
        {detail && (detail.scope.name || detail.scope.version) ? (
          <>
            <dt>scope</dt>
            <dd>{detail.scope.name} {detail.scope.version}</dd>
          </>
        ) : null}
      </dl>
      {detail === undefined ? <p class="muted">{pending ? 'Loading the span’s attributes…' : 'This span’s details are not in the trace’s answer.'}</p> : (
        <>
          <h3>Attributes</h3>
          <Attributes list={detail.attributes} testid="span-attributes" />
          <h3>Events ({detail.events.length})</h3>
          {detail.events.length === 0 ? <p class="muted">none</p> : (
            <ul class="plain">
              {detail.events.map((ev, i) => (
                <li key={i}>
                  <span class="mono muted">+{formatNanos(Number(BigInt(ev.timeUnixNano) - traceStart))}</span> <b>{ev.name}</b>
                  {ev.attributes.length > 0 ? <Attributes list={ev.attributes} /> : null}
                </li>
              ))}
            </ul>
          )}
          <h3>Links ({detail.links.length})</h3>
          {detail.links.length === 0 ? <p class="muted">none</p> : (
            <ul class="plain">
              {detail.links.map((l, i) => (
                <li key={i}>
                  <a class="mono" href={href('traces', { trace: l.traceId, span: l.spanId })}>{l.traceId.slice(0, 16)}… / {l.spanId}</a>
                  {l.traceId === traceId ? <span class="muted"> (this trace)</span> : null}
                  {l.attributes.length > 0 ? <Attributes list={l.attributes} /> : null}
                </li>
              ))}
            </ul>
          )}
          <h3>Resource</h3>
          <Attributes list={detail.resource} testid="span-resource" />
        </>
      )}
      <h3>
        Logs of this span ({logs.length}) <a href={href('logs', { q: `span_id:${span.spanId}` })}>open in Logs</a>
      </h3>
      {logs.length === 0 ? <p class="muted">none</p> : (
        <ul class="plain">
          {logs.map((l, i) => (
            <li key={i}>
              <span class={`sev sev-${l.level}`}>{l.level}</span> {typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
