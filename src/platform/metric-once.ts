// Get-or-create for a domain's Prometheus series: a process has one registry (src/metrics.ts)
// and several things in it ask for the same series (the module list at start, each worker
// pool, each service), so the first ask creates the series and the others share it.
import { Counter, Gauge, Histogram, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration, type Metric, type Registry } from 'prom-client';

/** The registry's metric of this name, made by `make` on first use. */
export function metricOnce<M extends Metric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

type Config<C> = Omit<C, 'registers'>;

export function counterOnce<L extends string = never>(registry: Registry, c: Config<CounterConfiguration<L>>): Counter<L> {
  return metricOnce(registry, c.name, () => new Counter<L>({ ...c, registers: [registry] }));
}

export function gaugeOnce<L extends string = never>(registry: Registry, c: Config<GaugeConfiguration<L>>): Gauge<L> {
  return metricOnce(registry, c.name, () => new Gauge<L>({ ...c, registers: [registry] }));
}

export function histogramOnce<L extends string = never>(registry: Registry, c: Config<HistogramConfiguration<L>>): Histogram<L> {
  return metricOnce(registry, c.name, () => new Histogram<L>({ ...c, registers: [registry] }));
}
