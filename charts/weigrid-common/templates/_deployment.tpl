{{/*
The Deployment: one container, the service's image, configured by the
ConfigMap (envFrom) and the variables from Secrets; native gRPC probes on the
health service; non-root with a read-only root filesystem and a writable
/tmp; the Secret volumes of _pod.tpl, shared with the migration Job and the
test Pod, and the object store's directory where the service has one
(_objectstore.tpl), the Deployment's alone.
The checksum/config annotation hashes the service chart's
templates/configmap.yaml as rendered, so the pods roll when it changes.
Usage, as the whole of the service chart's templates/deployment.yaml:
  {{ include "weigrid-common.deployment" . }}
*/}}
{{- define "weigrid-common.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "weigrid-common.metadata" . | nindent 2 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  strategy:
    {{- toYaml .Values.updateStrategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "weigrid-common.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        # Rolls the pods when their configuration changes.
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
        {{- if .Values.metrics.scrapeAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .Values.metrics.port | quote }}
        prometheus.io/path: {{ .Values.metrics.path | quote }}
        {{- end }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "weigrid-common.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "weigrid-common.serviceAccountName" . }}
      {{- include "weigrid-common.podOptions" . | nindent 6 }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .Chart.Name }}
          {{- include "weigrid-common.containerImage" . | nindent 10 }}
          ports:
            - name: grpc
              containerPort: {{ .Values.grpc.port }}
              protocol: TCP
            - name: metrics
              containerPort: {{ .Values.metrics.port }}
              protocol: TCP
            {{- with include "weigrid-common.peerContainerPort" . | trim }}{{ . | nindent 12 }}{{ end }}
          envFrom:
            - configMapRef:
                name: {{ include "weigrid-common.fullname" . }}
          env:
            {{- include "weigrid-common.secretEnv" . | nindent 12 }}
          {{- if .Values.probes.startup.enabled }}
          startupProbe:
            {{- include "weigrid-common.probeCheck" (list . .Values.probes.startup) | trim | nindent 12 }}
          {{- end }}
          {{- if .Values.probes.liveness.enabled }}
          livenessProbe:
            {{- include "weigrid-common.probeCheck" (list . .Values.probes.liveness) | trim | nindent 12 }}
          {{- end }}
          {{- if .Values.probes.readiness.enabled }}
          readinessProbe:
            {{- include "weigrid-common.probeCheck" (list . .Values.probes.readiness) | trim | nindent 12 }}
          {{- end }}
          {{- if gt (int .Values.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .Values.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            {{- include "weigrid-common.volumeMounts" . | nindent 12 }}
            {{- with include "weigrid-common.objectStoreVolumeMount" . | trim }}{{ . | nindent 12 }}{{ end }}
      volumes:
        {{- include "weigrid-common.volumes" . | nindent 8 }}
        {{- with include "weigrid-common.objectStoreVolume" . | trim }}{{ . | nindent 8 }}{{ end }}
      {{- if .Values.topologySpread.enabled }}
      topologySpreadConstraints:
        {{- range .Values.topologySpread.constraints }}
        - maxSkew: {{ $.Values.topologySpread.maxSkew }}
          topologyKey: {{ .topologyKey }}
          whenUnsatisfiable: {{ .whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "weigrid-common.selectorLabels" $ | nindent 14 }}
          # Counts only pods of the same rollout, so that old pods on their way
          # out do not skew where new ones go.
          matchLabelKeys:
            - pod-template-hash
        {{- end }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
