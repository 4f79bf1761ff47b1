// The service graph drawn by cytoscape: services left to right by call depth (layout.ts), edge width by request
// rate, edge colour from the theme's text colour to its error colour by error rate. Drawn again on theme change.
import cytoscape from 'cytoscape';
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { themeColor } from '../components/chart.tsx';
import { formatNumber } from '../format.ts';
import type { GraphEdge, GraphNode } from '../../../answers.ts';
import { layeredLayout } from './layout.ts';

export type { GraphEdge, GraphNode };

interface Props {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** The theme (chart.tsx's useTheme): drawn again when it changes. */
  theme: string;
  onSelect?: (edge: GraphEdge | null) => void;
  /** The edge highlighted (`client->server`), '' for none. */
  selected?: string;
}

/** Mixes two #rrggbb colours (t = 0 → a, 1 → b); anything else: b when t > 0. */
export function mix(a: string, b: string, t: number): string {
  const rgb = (c: string) => (/^#[0-9a-f]{6}$/i.test(c) ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) : null);
  const x = rgb(a);
  const y = rgb(b);
  if (!x || !y) return t > 0 ? b : a;
  return `#${x.map((v, i) => Math.round(v + (y[i] - v) * t).toString(16).padStart(2, '0')).join('')}`;
}

export function ServiceGraphCanvas({ nodes, edges, theme, onSelect, selected = '' }: Props): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const graph = useRef<cytoscape.Core | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const positions = new Map(layeredLayout(nodes.map((n) => n.service), edges).map((p) => [p.id, p]));
    const maxRate = Math.max(...edges.map((e) => e.ratePerSecond), 1e-9);
    const fg = themeColor('--fg');
    const muted = themeColor('--fg-muted');
    const error = themeColor('--error');
    const cy = cytoscape({
      container: el,
      elements: [
        ...nodes.map((n) => ({
          data: { id: n.service, label: n.requests > 0 ? `${n.service}\n${formatNumber(n.requests)} req` : n.service, failed: n.requests > 0 ? n.failed / n.requests : 0 },
          position: { x: positions.get(n.service)?.x ?? 0, y: positions.get(n.service)?.y ?? 0 },
        })),
        ...edges.map((e) => ({
          data: {
            id: `${e.client}->${e.server}`,
            source: e.client,
            target: e.server,
            width: 1.5 + 8 * Math.sqrt(e.ratePerSecond / maxRate),
            colour: mix(muted, error, Math.min(1, e.errorRate * 5)),
            // Edges that skip a column bend away from the services sitting in between.
            span: Math.abs((positions.get(e.server)?.column ?? 0) - (positions.get(e.client)?.column ?? 0)),
            label: `${formatNumber(e.ratePerSecond)}/s${e.errorRate > 0 ? ` · ${formatNumber(e.errorRate * 100)}% err` : ''}`,
          },
        })),
      ],
      layout: { name: 'preset', fit: true, padding: 40 },
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'text-wrap': 'wrap',
            'text-valign': 'bottom',
            'text-margin-y': 6,
            'font-size': 12,
            color: fg,
            'background-color': themeColor('--accent'),
            'border-width': 2,
            'border-color': themeColor('--bg'),
            width: 26,
            height: 26,
          },
        },
        { selector: 'node[failed > 0.05]', style: { 'background-color': error } },
        {
          selector: 'edge',
          style: {
            width: 'data(width)',
            'line-color': 'data(colour)',
            'target-arrow-color': 'data(colour)',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 10,
            color: muted,
            'text-background-color': themeColor('--bg'),
            'text-background-opacity': 0.85,
            'text-background-padding': '2px',
            'text-rotation': 'autorotate',
          },
        },
        { selector: 'edge[span > 1]', style: { 'curve-style': 'unbundled-bezier', 'control-point-distances': [-60], 'control-point-weights': [0.5] } },
        { selector: ':selected', style: { 'overlay-color': themeColor('--accent'), 'overlay-opacity': 0.25 } },
      ],
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
    graph.current = cy;
    cy.on('tap', 'edge', (evt) => onSelect?.(edges.find((e) => `${e.client}->${e.server}` === evt.target.id()) ?? null));
    cy.on('tap', (evt) => {
      if (evt.target === cy) onSelect?.(null);
    });
    const resize = new ResizeObserver(() => {
      cy.resize();
      cy.fit(undefined, 40);
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      graph.current = null;
      cy.destroy();
    };
  }, [nodes, edges, theme]);
  // A row picked in the table highlights its edge (and a tap on an edge picks its row).
  useEffect(() => {
    const cy = graph.current;
    if (!cy) return;
    cy.elements().unselect();
    if (selected !== '') cy.getElementById(selected).select();
  }, [selected, nodes, edges, theme]);
  return <div class="service-graph" ref={box} data-testid="service-graph-canvas" role="img" aria-label="service graph: services and the requests between them" />;
}
