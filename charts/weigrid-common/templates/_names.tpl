{{/*
Names and labels. Every template of this library takes the service chart's
context (the "." of its templates) and reads the chart's own name, version
and values from it.
*/}}

{{/*
The chart name, or nameOverride.
*/}}
{{- define "weigrid-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else the release
name followed by the chart name unless it already contains it. Truncated to
63 characters, the limit of a DNS label.
*/}}
{{- define "weigrid-common.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The chart label: name and version.
*/}}
{{- define "weigrid-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "weigrid-common.labels" -}}
helm.sh/chart: {{ include "weigrid-common.chart" . }}
{{ include "weigrid-common.selectorLabels" . }}
app.kubernetes.io/version: {{ include "weigrid-common.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: weigrid
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods; they never change after install.
*/}}
{{- define "weigrid-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weigrid-common.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The metadata every namespaced resource of the chart starts with: its full
name, the release's namespace and the labels.
*/}}
{{- define "weigrid-common.metadata" -}}
name: {{ include "weigrid-common.fullname" . }}
namespace: {{ .Release.Namespace }}
labels:
  {{- include "weigrid-common.labels" . | nindent 2 }}
{{- end }}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "weigrid-common.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "weigrid-common.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The name of one of the service's own variables: app.envPrefix, then the
sections and key given, camelCase turned into SNAKE_CASE.
Usage: include "weigrid-common.envName" (list . "clients" "registry" "connectTimeout")
gives WEIGRID_DISPATCH__CLIENTS__REGISTRY__CONNECT_TIMEOUT.
*/}}
{{- define "weigrid-common.envName" -}}
{{- $root := index . 0 }}
{{- $parts := list ($root.Values.app.envPrefix | required "app.envPrefix must name the prefix of the service's variables, e.g. WEIGRID_REGISTRY") }}
{{- range rest . }}
{{- $parts = append $parts (snakecase . | upper) }}
{{- end }}
{{- join "__" $parts }}
{{- end }}

{{/*
Labels of a pod that does one task for the service rather than serve it
(task "migrate", "test"): its own app.kubernetes.io/name, so that neither
the Service nor the NetworkPolicy nor the PodDisruptionBudget of the
serving pods select it.
Usage: include "weigrid-common.taskLabels" (list . "migrate")
*/}}
{{- define "weigrid-common.taskLabels" -}}
{{- $root := index . 0 }}
{{- $task := index . 1 -}}
helm.sh/chart: {{ include "weigrid-common.chart" $root }}
{{ include "weigrid-common.taskSelectorLabels" (list $root $task) }}
app.kubernetes.io/version: {{ include "weigrid-common.imageTag" $root | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: {{ $task }}
app.kubernetes.io/part-of: weigrid
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end }}

{{- define "weigrid-common.taskSelectorLabels" -}}
{{- $root := index . 0 }}
{{- $task := index . 1 -}}
app.kubernetes.io/name: {{ printf "%s-%s" (include "weigrid-common.name" $root) $task | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end }}

{{/*
The name of a task's object: the full name and the task, within 63
characters.
*/}}
{{- define "weigrid-common.taskName" -}}
{{- $root := index . 0 }}
{{- $task := index . 1 }}
{{- printf "%s-%s" (include "weigrid-common.fullname" $root | trunc (int (sub 62 (len $task))) | trimSuffix "-") $task }}
{{- end }}
