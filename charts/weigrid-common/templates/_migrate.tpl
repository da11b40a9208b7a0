{{/*
Migrations as a step of their own: a Job running `<service> migrate` (the
same image, configuration and Secrets as the service) as a Helm
pre-install and pre-upgrade hook, when migrations.enabled. Helm waits for it
to succeed before it installs or changes anything else of the release, so
the new release's pods start on a schema that is up to date and the old
release's pods go on serving on it meanwhile (migrations are additive within
a release). `helm rollback` runs no migration: the previous release runs on
the newer schema. A failed Job is kept for its logs until the next attempt.
The hook runs before the release's ConfigMap, ServiceAccount and
NetworkPolicy exist: the Job carries the configuration as variables, runs
as migrations.serviceAccountName (the namespace's "default" unless the
pods' ServiceAccount exists beforehand) and, with networkPolicy.enabled,
brings a NetworkPolicy of its own: out to PostgreSQL and DNS only.
Usage, as the whole of the service chart's templates/migrate-job.yaml:
  {{ include "weigrid-common.migrateJob" . }}
*/}}
{{- define "weigrid-common.migrateJob" -}}
{{- if .Values.migrations.enabled }}
{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "weigrid-common.taskName" (list . "migrate") }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "weigrid-common.taskLabels" (list . "migrate") | nindent 4 }}
  annotations:
    # In place before the Job starts, gone with it.
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  podSelector:
    matchLabels:
      {{- include "weigrid-common.taskSelectorLabels" (list . "migrate") | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  # Nothing calls the migration.
  ingress: []
  egress:
    # PostgreSQL: the service's own database.
    - ports:
        - port: {{ .Values.networkPolicy.egress.postgres.port }}
          protocol: TCP
      {{- with .Values.networkPolicy.egress.postgres.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    # DNS, to find it.
    - ports:
        - port: {{ .Values.networkPolicy.egress.dns.port }}
          protocol: UDP
        - port: {{ .Values.networkPolicy.egress.dns.port }}
          protocol: TCP
      {{- with .Values.networkPolicy.egress.dns.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
{{- end }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "weigrid-common.taskName" (list . "migrate") }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "weigrid-common.taskLabels" (list . "migrate") | nindent 4 }}
  annotations:
    # Before anything of a new release or an upgrade; removed once it
    # succeeded, kept after a failure until the next attempt replaces it.
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  # Attempts after the first: PostgreSQL may be failing over.
  backoffLimit: {{ .Values.migrations.backoffLimit }}
  # The longest a migration may take, all attempts together.
  activeDeadlineSeconds: {{ .Values.migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "weigrid-common.taskLabels" (list . "migrate") | nindent 8 }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ .Values.migrations.serviceAccountName | default (ternary "default" (include "weigrid-common.serviceAccountName" .) .Values.serviceAccount.create) }}
      {{- include "weigrid-common.podOptions" . | nindent 6 }}
      containers:
        - name: migrate
          {{- include "weigrid-common.containerImage" . | nindent 10 }}
          args:
            - migrate
          env:
            {{- include "weigrid-common.inlineConfigEnv" . | trim | nindent 12 }}
            {{- include "weigrid-common.secretEnv" . | nindent 12 }}
          resources:
            {{- toYaml .Values.migrations.resources | nindent 12 }}
          volumeMounts:
            {{- include "weigrid-common.volumeMounts" . | nindent 12 }}
      volumes:
        {{- include "weigrid-common.volumes" . | nindent 8 }}
{{- end }}
{{- end }}
