import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_MJML_LENGTH, compileMjml } from '../../src/domain/email/mjml.ts';
import { MAX_MJML_DEPTH, checkMjmlStructure } from '../../src/domain/email/mjml-structure.ts';
import { FIXTURE_DIR, readFixture } from '../fixtures/email/keys.ts';

/** Wraps body content in a minimal valid document; the content starts on line 5. */
const doc = (content: string): string =>
  ['<mjml>', '<mj-body>', '<mj-section>', '<mj-column>', content, '</mj-column>', '</mj-section>', '</mj-body>', '</mjml>'].join('\n');

describe('compileMjml: valid templates', () => {
  it('compiles a real template to HTML with no errors or warnings', async () => {
    const r = await compileMjml(readFixture('templates/welcome.mjml'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.html).toContain('<!doctype html>');
    expect(r.html).toContain('Get started');
    expect(r.html).toContain('{{firstName}}');
  });

  it('ignores tags inside comments, `>` inside quoted attributes and CSS selectors in mj-style', async () => {
    const r = await compileMjml(
      [
        '<mjml>',
        '<mj-head><mj-style>.a > .b { color: red } </mj-style></mj-head>',
        '<mj-body><!-- <mj-section> <b> --><mj-section><mj-column>',
        '<mj-image src="x.png" alt="a > b" title=\'c > d\' />',
        '</mj-column></mj-section></mj-body></mjml>',
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('accepts unbalanced HTML inside mj-raw (splitting a table across mj-raw blocks is an MJML idiom)', async () => {
    const r = await compileMjml(doc('<mj-raw><table><tr><td></mj-raw><mj-text>x</mj-text><mj-raw></td></tr></table></mj-raw>'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('does not warn about HTML void elements, optional end tags, script bodies or a literal "<"', async () => {
    const r = await compileMjml(doc('<mj-text><p>one<p>two<br>3 < 4 <img src="a.png"><ul><li>a<li>b</ul></mj-text>'));
    expect(r.warnings).toEqual([]);
    // A script body is code, not markup, for the structure check (the template is refused for the script itself).
    const raw = checkMjmlStructure(doc('<mj-raw><script>if (a <b) { x("</div>") }</script></mj-raw>'));
    expect(raw.errors).toEqual([]);
    expect(raw.warnings).toEqual([]);
  });

  it('forwards an existing filePath to MJML', async () => {
    const r = await compileMjml(readFixture('templates/welcome.mjml'), { filePath: path.join(FIXTURE_DIR, 'templates/welcome.mjml') });
    expect(r.valid).toBe(true);
  });
});

describe('compileMjml: structure errors MJML itself skips', () => {
  it('reports a mis-nested tag on the line of the crossing end tag, naming where it was opened', async () => {
    const r = await compileMjml(readFixture('templates/mis-nested.mjml'));
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([
      { line: 6, tag: 'mj-column', message: '<mj-column> opened on line 4 is not closed before </mj-section> (mis-nested tags)' },
    ]);
  });

  it('reports the crossing once, not again for the late end tag', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n</mj-section>\n</mj-column>\n</mj-body>\n</mjml>');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ line: 5, tag: 'mj-column' });
  });

  it('reports tags never closed at the end of the template on their opening line', async () => {
    const r = await compileMjml('<mjml>\n  <mj-body>\n    <mj-section>\n    </mj-section>\n');
    expect(r.errors).toEqual([
      { line: 1, tag: 'mjml', message: '<mjml> opened on line 1 is never closed' },
      { line: 2, tag: 'mj-body', message: '<mj-body> opened on line 2 is never closed' },
    ]);
  });

  it('reports an unclosed mj-text whose content swallowed the next tags', async () => {
    const r = await compileMjml(doc('<mj-text>Hi\n<mj-button>Go</mj-button>'));
    expect(r.errors.map((e) => [e.line, e.tag])).toEqual([
      [6, 'mj-button'],
      [7, 'mj-text'],
    ]);
    expect(r.errors[0]?.message).toContain('is a </mj-text> missing?');
    expect(r.errors[1]?.message).toContain('opened on line 5 is not closed before </mj-column>');
  });

  it('reports a stray closing tag', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n</mj-column>\n</mj-body>\n</mjml>');
    expect(r.errors).toEqual([{ line: 3, tag: 'mj-column', message: 'stray closing tag </mj-column>: no <mj-column> is open' }]);
  });

  it('reports a missing <mjml> root (without MJML\'s redundant "Malformed MJML")', async () => {
    const r = await compileMjml('<mj-body>\n<mj-section></mj-section>\n</mj-body>');
    expect(r.errors).toEqual([{ line: null, tag: 'mjml', message: 'missing <mjml> root element' }]);
    expect(r.html).toBe('');
  });

  it('reports a missing <mj-body> on the root line', async () => {
    const r = await compileMjml(readFixture('templates/missing-body.mjml'));
    expect(r.errors).toEqual([{ line: 1, tag: 'mj-body', message: 'missing <mj-body> inside <mjml>' }]);
  });

  it('reports markup and text outside the root, a second root and a second mj-body', async () => {
    const outside = await compileMjml('<mjml>\n<mj-body></mj-body>\n</mjml>\n<mj-section></mj-section>\ntrailing');
    expect(outside.errors.map((e) => [e.line, e.message])).toEqual([
      [4, '<mj-section> is outside the <mjml> root element'],
      [5, 'text outside the <mjml> root element'],
    ]);
    const twoRoots = await compileMjml('<mjml><mj-body></mj-body></mjml>\n<mjml><mj-body></mj-body></mjml>');
    expect(twoRoots.errors.map((e) => e.message)).toContain('more than one <mjml> root (first on line 1)');
    const nested = await compileMjml('<mjml>\n<mj-body>\n<mjml></mjml></mj-body></mjml>');
    expect(nested.errors.map((e) => e.message)).toContain('more than one <mjml> root (first on line 1)');
    const twoBodies = await compileMjml('<mjml>\n<mj-body></mj-body>\n<mj-body></mj-body>\n</mjml>');
    expect(twoBodies.errors).toContainEqual({ line: 3, tag: 'mj-body', message: 'more than one <mj-body>' });
  });

  it('reports a tag missing its ">" and balances it anyway', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n<mj-section\n<mj-column></mj-column></mj-section>\n</mj-body>\n</mjml>');
    expect(r.errors[0]).toEqual({ line: 3, tag: 'mj-section', message: "tag <mj-section> is not terminated with '>'" });
    expect(r.errors.some((e) => e.message.startsWith('stray'))).toBe(false);
  });

  it('reports an attribute quote that is never closed', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n<mj-section css-class="x>\n</mj-section>\n</mj-body>\n</mjml>');
    expect(r.errors).toContainEqual({ line: 3, tag: 'mj-section', message: 'tag <mj-section> has an attribute quote (") that is never closed' });
  });

  it('reports an unterminated comment and an unterminated closing tag', async () => {
    const comment = await compileMjml('<mjml>\n<mj-body>\n<!-- oops\n</mj-body>\n</mjml>');
    expect(comment.errors).toContainEqual({ line: 3, tag: null, message: "comment is never closed with '-->'" });
    const close = await compileMjml('<mjml>\n<mj-body>\n</mj-body\n</mjml>');
    expect(close.errors).toContainEqual({ line: 3, tag: 'mj-body', message: "closing tag </mj-body> is not terminated with '>'" });
  });

  it('reports an unclosed mj-style', async () => {
    const r = await compileMjml('<mjml>\n<mj-head>\n<mj-style>.a > .b {}\n</mj-head>\n<mj-body></mj-body>\n</mjml>');
    expect(r.errors).toContainEqual({ line: 3, tag: 'mj-style', message: '<mj-style> opened on line 3 is never closed' });
  });

  it('refuses mj-include: includes are never resolved', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n<mj-include path="../../etc/passwd" />\n</mj-body>\n</mjml>');
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([
      { line: 3, tag: 'mj-include', message: 'mj-include is not supported: includes are not resolved, so the template must be self-contained' },
    ]);
  });
});

describe('compileMjml: HTML inside ending tags is a warning', () => {
  it('warns once about <p><b>x</p></b> and stays valid', async () => {
    const r = await compileMjml(readFixture('templates/sloppy-html.mjml'));
    expect(r.valid).toBe(true);
    expect(r.warnings).toEqual([
      { line: 5, tag: 'b', message: 'HTML <b> opened on line 5 is not closed before </p> (mis-nested HTML)' },
    ]);
  });

  it('warns about stray and unclosed HTML elements', async () => {
    const r = await compileMjml(doc('<mj-text><span>a</i>\n</mj-text>'));
    expect(r.warnings).toEqual([
      { line: 5, tag: 'i', message: 'stray HTML closing tag </i> inside <mj-text>' },
      { line: 5, tag: 'span', message: 'HTML <span> inside <mj-text> is not closed before </mj-text> on line 6' },
    ]);
  });
});

describe('compileMjml: MJML validator errors and bad input', () => {
  it('reports MJML validation errors (soft level) as {line, tag, message}', async () => {
    const r = await compileMjml(readFixture('templates/illegal-attribute.mjml'));
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([{ line: 3, tag: 'mj-section', message: 'Attribute colour is illegal' }]);
    expect(r.html).not.toBe(''); // soft: still rendered for the preview
  });

  it('reports components used in the wrong parent and unknown components', async () => {
    const r = await compileMjml('<mjml>\n<mj-body>\n<mj-text>x</mj-text>\n<mj-foo></mj-foo>\n</mj-body>\n</mjml>');
    expect(r.errors.map((e) => [e.line, e.tag])).toEqual([
      [3, 'mj-text'],
      [4, 'mj-foo'],
    ]);
  });

  it('never throws: empty, garbage and non-string input are reported', async () => {
    await expect(compileMjml('')).resolves.toMatchObject({ valid: false, errors: [{ message: 'template is empty' }] });
    await expect(compileMjml('hello')).resolves.toMatchObject({ valid: false, html: '' });
    await expect(compileMjml(42 as unknown as string)).resolves.toMatchObject({ valid: false, errors: [{ message: 'template source must be a string' }] });
    await expect(compileMjml('<<<>>></mjml')).resolves.toMatchObject({ valid: false });
  });

  it('reports an MJML exception that the structure check did not explain', async () => {
    const r = await compileMjml(readFixture('templates/welcome.mjml'), { filePath: path.join(FIXTURE_DIR, 'does-not-exist', 'x.mjml') });
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([{ line: null, tag: null, message: 'MJML: Specified filePath does not exist' }]);
  });
});

describe('compileMjml: hostile input (the preview endpoint compiles anything)', () => {
  it('refuses a template above the size limit without compiling it', async () => {
    const r = await compileMjml(doc(`<mj-text>${'x'.repeat(MAX_MJML_LENGTH)}</mj-text>`));
    expect(r).toMatchObject({ valid: false, html: '', errors: [{ line: null, tag: null, message: expect.stringContaining('the limit is') as string }] });
  });

  it('refuses absurd nesting without handing it to MJML', async () => {
    const depth = MAX_MJML_DEPTH + 10;
    const r = await compileMjml(`<mjml><mj-body>\n${'<mj-wrapper>'.repeat(depth)}${'</mj-wrapper>'.repeat(depth)}</mj-body></mjml>`);
    expect(r.errors).toEqual([{ line: 2, tag: 'mj-wrapper', message: `MJML tags are nested more than ${MAX_MJML_DEPTH} levels deep` }]);
    expect(r.html).toBe('');
  });

  it('scans floods of stray and nested tags in linear time', () => {
    const n = 40_000;
    const started = Date.now();
    const mj = checkMjmlStructure(`<mjml><mj-body>${'<mj-section>'.repeat(n)}${'</mj-column>'.repeat(n)}</mj-body></mjml>`);
    const html = checkMjmlStructure(`<mjml><mj-body><mj-section><mj-column><mj-text>${'<b>'.repeat(n)}${'</i>'.repeat(n)}</mj-text></mj-column></mj-section></mj-body></mjml>`);
    // A quadratic scan takes minutes here; linear takes well under a second.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(mj.errors.filter((e) => e.message.startsWith('stray'))).toHaveLength(n);
    expect(html.warnings).toHaveLength(2 * n);
  });
});

describe('compileMjml: templates run no scripts', () => {
  const refused = async (content: string) => {
    const r = await compileMjml(doc(content));
    expect(r.valid).toBe(false);
    expect(r.html).toBe(''); // never compiled: no HTML carries the script
    return r.errors;
  };

  it('refuses <script> in mj-text and mj-raw, with the line and tag', async () => {
    expect(await refused('<mj-text>Hi<script>alert(1)</script></mj-text>')).toEqual([
      { line: 5, tag: 'script', message: 'script elements are not allowed: templates run no scripts' },
    ]);
    expect(await refused('<mj-raw>\n<SCRIPT src="https://x.example/a.js"></SCRIPT></mj-raw>')).toEqual([
      { line: 6, tag: 'script', message: 'script elements are not allowed: templates run no scripts' },
    ]);
    // A script body is code: the `<b` and `</div>` in it are not reported as markup.
    expect(await refused('<mj-raw><script>if (a <b) { x("</div>") }</script></mj-raw>')).toHaveLength(1);
  });

  it('refuses on*= event-handler attributes on HTML and MJML tags alike', async () => {
    expect(await refused('<mj-text><img src="a.png" onerror="alert(1)"></mj-text>')).toEqual([
      { line: 5, tag: 'img', message: 'event-handler attribute onerror= is not allowed: templates run no scripts' },
    ]);
    const errors = await refused('<mj-button href="https://ok.example" ONCLICK=go()>Go</mj-button>\n<mj-text><a onmouseover=\'x\'>a</a></mj-text>');
    expect(errors.map((e) => [e.line, e.tag])).toEqual([
      [5, 'mj-button'],
      [6, 'a'],
    ]);
  });

  it('refuses javascript: URLs however they are spelled, in any attribute', async () => {
    for (const href of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java&#115;cript:alert(1)', 'java&#x09;script:x', 'javascript&colon;x', 'jav\tascript:x']) {
      const errors = await refused(`<mj-text><a href="${href}">a</a></mj-text>`);
      expect(errors, href).toEqual([{ line: 5, tag: 'a', message: 'attribute href= holds a javascript: URL, which is not allowed: templates run no scripts' }]);
    }
    expect((await refused('<mj-image src="javascript:x" />'))[0]).toMatchObject({ tag: 'mj-image' });
  });

  it('accepts what only looks like a script: words in text, data attributes, ordinary links', async () => {
    const r = await compileMjml(
      doc('<mj-text><span data-onboarding="1">Turn on notifications; see javascript: the guide,</span> <a href="https://x.example/javascript:docs">docs</a>. online=yes</mj-text>'),
    );
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });
});
