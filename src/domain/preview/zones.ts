// A recipient's time zone from a ZIP code or a North American phone number: small tables,
// each keyed to the zone of most of its area. libphonenumber-js has no time-zone data, so
// these tables stand in for Google's timezone map. Sources:
// - ZIP prefixes by state: USPS Publication 65 / the 3-digit ZIP prefix list by state
//   (https://en.wikipedia.org/wiki/List_of_ZIP_Code_prefixes), each state's majority zone
//   from the IANA tz database (zone.tab);
// - area codes: NANPA area codes by state (https://nationalnanpa.com/area_codes/), the
//   larger metropolitan codes only. An unknown code gives no zone; the campaign default
//   then applies. States split by a zone line (FL panhandle, TN, KY, IN, TX El Paso, ID,
//   OR) take their majority zone: with several sources the window is their intersection,
//   so a wrong guess narrows the window rather than widening it.
const NY = 'America/New_York';
const CHI = 'America/Chicago';
const DEN = 'America/Denver';
const PHX = 'America/Phoenix';
const LA = 'America/Los_Angeles';

/** [first 3-digit prefix, last, zone], ascending. */
const ZIP_RANGES: readonly (readonly [number, number, string])[] = [
  [5, 349, NY],
  [350, 369, CHI],
  [370, 385, CHI],
  [386, 397, CHI],
  [398, 399, NY],
  [400, 499, NY],
  [500, 589, CHI],
  [590, 599, DEN],
  [600, 797, CHI],
  [798, 799, DEN],
  [800, 849, DEN],
  [850, 865, PHX],
  [870, 884, DEN],
  [889, 961, LA],
  [967, 968, 'Pacific/Honolulu'],
  [970, 994, LA],
  [995, 999, 'America/Anchorage'],
];

const AREA_CODES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['201', '202', '203', '212', '215', '267', '305', '347', '404', '407', '412', '561', '570', '585', '617', '646', '704', '718', '754', '786', '813', '857', '862', '908', '917', '954', '973'].map((c) => [c, NY])),
  ...Object.fromEntries(['214', '218', '224', '281', '312', '314', '346', '414', '469', '504', '512', '612', '615', '630', '651', '708', '713', '773', '816', '832', '847', '901', '972'].map((c) => [c, CHI])),
  ...Object.fromEntries(['303', '385', '505', '719', '720', '801'].map((c) => [c, DEN])),
  ...Object.fromEntries(['480', '520', '602', '623'].map((c) => [c, PHX])),
  ...Object.fromEntries(['206', '213', '253', '310', '323', '408', '415', '424', '503', '510', '619', '626', '628', '650', '702', '714', '818', '916', '925', '949', '971'].map((c) => [c, LA])),
  '808': 'Pacific/Honolulu',
  '907': 'America/Anchorage',
};

export function zoneOfZip(zip: unknown): string | undefined {
  const m = typeof zip === 'string' || typeof zip === 'number' ? /^(\d{5})(-\d{4})?$/.exec(String(zip).padStart(5, '0')) : null;
  if (!m) return undefined;
  const p = Number(m[1]!.slice(0, 3));
  return ZIP_RANGES.find(([a, b]) => p >= a && p <= b)?.[2];
}

/** The zone of a +1 number's area code, when the table knows it. */
export function zoneOfPhone(e164: string): string | undefined {
  return e164.startsWith('+1') && e164.length === 12 ? AREA_CODES[e164.slice(2, 5)] : undefined;
}

const validZones = new Map<string, boolean>();
export function isTimeZone(zone: string): boolean {
  let ok = validZones.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    if (validZones.size < 1000) validZones.set(zone, ok);
  }
  return ok;
}
