import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileTemplate,
  formatFloatE,
  formatG,
  renderTemplate,
  TemplateError,
} from './template.js';
import type { TemplateData } from './template.js';

const data: TemplateData = {
  labels: { job: 'api', instance: 'host:9090', __name__: 'up' },
  value: 1234.5678,
  externalLabels: { cluster: 'eu1' },
  externalUrl: 'http://prom',
};

describe('templates', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['{{ $labels.job }} on {{$labels.instance}}', 'api on host:9090'],
    ['{{ $labels.missing }}|', '|'],
    ['{{ $value }}', '1234.5678'],
    ['{{ .Value }} {{ .Labels.job }} {{ $.Labels.job }}', '1234.5678 api api'],
    ['{{ $externalLabels.cluster }} {{ $externalURL }}', 'eu1 http://prom'],
    ['{{ $labels }}', 'map[__name__:up instance:host:9090 job:api]'],
    ['{{ humanize $value }}', '1.235k'],
    ['{{ $value | humanize }}', '1.235k'],
    ['{{ humanize 0.00123 }}', '1.23m'],
    ['{{ humanize 0 }}', '0'],
    ['{{ humanize 1234567 }}', '1.235M'],
    ['{{ humanize1024 2048 }}', '2ki'],
    ['{{ humanizePercentage 0.1234 }}', '12.34%'],
    ['{{ humanizeDuration 3661 }}', '1h 1m 1s'],
    ['{{ humanizeDuration 90061 }}', '1d 1h 1m 1s'],
    ['{{ humanizeDuration 1.5 }}', '1.5s'],
    ['{{ humanizeDuration 0.25 }}', '250ms'],
    ['{{ printf "%.2f" $value }}', '1234.57'],
    ['{{ printf "%s=%d" "x" 3 }}', 'x=3'],
    ['{{ printf "%5.1f|%-4s|" 2.25 "ab" }}', '  2.2|ab  |'],
    ['{{ printf "%v %%" $value }}', '1234.5678 %'],
    ['{{ $labels.job | toUpper }}', 'API'],
    ['{{ "a b" | title }}', 'A B'],
    ['a {{- " b " -}} c', 'a b c'],
    ['a\n  {{- $labels.job }}', 'aapi'],
    ['{{ `raw {{` }}', 'raw {{'],
    [
      '{{ $labels.instance | stripPort }} {{ stripPort "[::1]:80" }} {{ stripPort "a" }}',
      'host ::1 a',
    ],
    ['{{ reReplaceAll "(.*):(.*)" "${2}/$1" $labels.instance }}', '9090/host'],
    ['{{ $labels.instance | reReplaceAll ":.*" "" }}', 'host'],
    ['{{ safeHtml "<b>" }}', '<b>'],
    ['{{ if gt $value 1000.0 }}high{{ else }}low{{ end }}', 'high'],
    [
      '{{ if lt $value 10 }}low{{ else if eq $labels.job "api" }}api{{ else }}other{{ end }}!',
      'api!',
    ],
    ['{{ if eq $labels.job "db" "web" }}x{{ else if $labels.nope }}y{{ else }}z{{ end }}', 'z'],
    ['{{ if and $labels.job $value }}yes{{ end }}{{ if or 0 "" }}no{{ end }}', 'yes'],
    ['{{ not false }} {{ eq true true }}', 'true true'],
    ['{{ if not $labels.missing }}{{ $labels.job }}{{ end }}', 'api'],
    ['{{ if $labels }}{{ if ne $labels.job "x" }}nested{{ end }}{{ end }}', 'nested'],
    ['a {{- if true -}} b {{- end -}} c', 'abc'],
    ['{{ gt $value 1.0 }} {{ or "" "d" }}', 'true d'],
  ];
  for (const [source, expected] of cases) {
    it(`renders ${source}`, () => {
      assert.equal(renderTemplate(source, data), expected);
    });
  }

  const bad: [string, RegExp][] = [
    ['{{ $labels.x', /unclosed action/],
    ['{{ if $value }}x', /without \{\{end\}\}/],
    ['x{{ end }}', /unexpected \{\{end\}\}/],
    ['{{ else }}', /unexpected \{\{else\}\}/],
    ['{{ if 1 }}{{ else }}{{ else }}{{ end }}', /unexpected \{\{else\}\}/],
    ['{{ if }}{{ end }}', /missing value/],
    ['{{ if 1 }}{{ else with 1 }}{{ end }}', /not supported/],
    ['{{ gt 1 }}', /wrong number of args for gt/],
    ['{{ range $labels }}{{ end }}', /"range"/],
    ['{{ nosuch $value }}', /function "nosuch" not supported/],
    ['{{ $nope }}', /undefined variable "\$nope"/],
    ['{{ $value.x }}', /can't evaluate field/],
    ['{{ .Foo }}', /unknown field/],
    ['{{ }}', /missing value/],
    ['{{ humanize }}', /wrong number of args/],
    ['{{ humanize 1 2 }}', /wrong number of args/],
    ['{{ $value | $value }}', /non-executable command/],
    ['{{ "open }}', /unterminated/],
    ['{{ (humanize 1) }}', /parenthesised/],
    ['{{/* c */}}', /comments/],
  ];
  for (const [source, message] of bad) {
    it(`refuses ${source}`, () => {
      assert.throws(
        () => compileTemplate(source),
        (err: unknown) => err instanceof TemplateError && message.test(err.message),
      );
    });
  }

  it('renders run-time problems inline instead of throwing', () => {
    assert.equal(
      renderTemplate('{{ humanize $labels.job }}', data),
      '<error: strconv.ParseFloat: parsing "api": invalid syntax>',
    );
    assert.equal(renderTemplate('{{ printf "%d" "x" }}', data), '%!d(string=x)');
    assert.equal(
      renderTemplate('{{ if gt $labels.job 1.0 }}x{{ end }}', data),
      '<error: gt: incompatible types for comparison>',
    );
  });

  it('formats floats as Go does', () => {
    assert.equal(renderTemplate('{{ $value }}', { ...data, value: 1234567 }), '1.234567e+06');
    assert.equal(renderTemplate('{{ $value }}', { ...data, value: 0.00001 }), '1e-05');
    assert.equal(renderTemplate('{{ $value }}', { ...data, value: -Infinity }), '-Inf');
    assert.equal(formatG(999.95, 4), '1000');
    assert.equal(formatG(12345, 4), '1.234e+04');
    assert.equal(formatG(1.5, 4), '1.5');
    assert.equal(formatFloatE(1), '1e+00');
    assert.equal(formatFloatE(0.42), '4.2e-01');
    assert.equal(formatFloatE(12345.5), '1.23455e+04');
  });
});
