{{/*
The service's own settings beyond those every service has, declared in
app.settings. Each entry names a value by its path in the chart's values
(key: caps.daily) and the rule it must keep, and becomes the variable
<envPrefix>__<SECTION>__<KEY>, camelCase in SNAKE_CASE
(WEIGRID_POINTS__CAPS__DAILY). Rules:
  count     a whole number above 0
  metres    a number of metres above 0
  duration  a humantime duration such as "72h", not empty
  text      anything, passed on as text
  list      a list of words (no commas, no spaces), passed on comma-separated
            (the roles of registry.carePersonReadRoles); the service checks
            the words themselves
atLeast: <path of another setting> also requires the value to be no lower
than that one.
*/}}

{{/*
Fails naming the setting and its rule when a value breaks it; renders
nothing otherwise.
Usage: include "weigrid-common.checkSetting" (list "caps.daily" .Values.caps.daily "count")
*/}}
{{- define "weigrid-common.checkSetting" -}}
{{- $key := index . 0 }}
{{- $value := index . 1 }}
{{- $rule := index . 2 }}
{{- $number := or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value) }}
{{- if eq $rule "count" }}
{{- if not (and $number (eq (float64 $value) (float64 (int64 $value))) (gt (int64 $value) 0)) }}
{{- fail (printf "%s must be a whole number above 0, not %v" $key $value) }}
{{- end }}
{{- else if eq $rule "metres" }}
{{- if not (and $number (gt (float64 $value) 0.0)) }}
{{- fail (printf "%s must be a number of metres above 0, not %v" $key $value) }}
{{- end }}
{{- else if eq $rule "duration" }}
{{- if not $value }}
{{- fail (printf "%s must be a duration such as \"72h\"" $key) }}
{{- end }}
{{- else if eq $rule "list" }}
{{- if not (kindIs "slice" $value) }}
{{- fail (printf "%s must be a list, such as [town_operator, workstation_staff], not %v" $key $value) }}
{{- end }}
{{- range $value }}
{{- if not (and (kindIs "string" .) (regexMatch "^[A-Za-z0-9_.-]+$" .)) }}
{{- fail (printf "%s must list words without commas or spaces, not %q" $key (toString .)) }}
{{- end }}
{{- end }}
{{- else if ne $rule "text" }}
{{- fail (printf "app.settings: %s has rule %q; the rules are count, metres, duration, text and list" $key $rule) }}
{{- end }}
{{- end }}

{{/*
The settings' ConfigMap entries, once every one of them keeps its rule.
*/}}
{{- define "weigrid-common.settingsConfig" -}}
{{- $root := . }}
{{- $values := dict }}
{{- range .Values.app.settings }}
{{- $value := $root.Values }}
{{- range splitList "." .key }}
{{- $value = index $value . }}
{{- end }}
{{- $_ := set $values .key $value }}
{{- include "weigrid-common.checkSetting" (list .key $value .rule) }}
{{- end }}
{{- range .Values.app.settings }}
{{- if .atLeast }}
{{- if not (hasKey $values .atLeast) }}
{{- fail (printf "app.settings: %s must be at least %s, which is not a setting" .key .atLeast) }}
{{- end }}
{{- $value := index $values .key }}
{{- $floor := index $values .atLeast }}
{{- if lt (float64 $value) (float64 $floor) }}
{{- fail (printf "%s (%v) must be at least %s (%v)" .key $value .atLeast $floor) }}
{{- end }}
{{- end }}
{{- end }}
{{- range .Values.app.settings }}
{{- $value := index $values .key }}
{{- $env := concat (list $root) (splitList "." .key) }}
{{ include "weigrid-common.envName" $env }}: {{ if eq .rule "count" }}{{ $value | int64 | quote }}{{ else if eq .rule "metres" }}{{ $value | toString | quote }}{{ else if eq .rule "list" }}{{ join "," $value | quote }}{{ else }}{{ $value | quote }}{{ end }}
{{- end }}
{{- end }}
