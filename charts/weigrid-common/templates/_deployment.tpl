{{/*
The Deployment: one container, the service's image, configured by the
ConfigMap (envFrom) and the database URL from its Secret; native gRPC
probes on the health service; non-root with a read-only root filesystem and
a writable /tmp; the JWT public key, the server certificate and each
client's TLS material mounted from their Secrets.
The checksum/config annotation hashes the service chart's
templates/configmap.yaml as rendered, so the pods roll when it changes.
Usage, as the whole of the service chart's templates/deployment.yaml:
  {{ include "weigrid-common.deployment" . }}
*/}}
{{- define "weigrid-common.deployment" -}}
{{- $authMode := include "weigrid-common.authMode" . -}}
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
      automountServiceAccountToken: false
      # Configuration comes from WEIGRID_… variables only; Docker-link style
      # variables for every Service in the namespace would be noise.
      enableServiceLinks: false
      {{- with include "weigrid-common.imagePullSecrets" . | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ include "weigrid-common.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: {{ .Values.grpc.port }}
              protocol: TCP
            - name: metrics
              containerPort: {{ .Values.metrics.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "weigrid-common.fullname" . }}
          env:
            - name: {{ include "weigrid-common.envName" (list . "database" "url") }}
              valueFrom:
                secretKeyRef:
                  name: {{ include "weigrid-common.databaseSecret" . }}
                  key: {{ .Values.database.urlKey }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
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
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if eq $authMode "jwt" }}
            - name: auth-public-key
              mountPath: {{ .Values.auth.publicKey.mountPath }}
              readOnly: true
            {{- end }}
            {{- if .Values.grpc.tls.enabled }}
            - name: tls
              mountPath: {{ .Values.grpc.tls.mountPath }}
              readOnly: true
            {{- end }}
            {{- range $name, $_ := .Values.app.clients }}
            {{- with include "weigrid-common.clientTlsVolumeMount" (list $ $name) | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- end }}
            {{- with .Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        # The root filesystem is read-only; /tmp is the only writable place.
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
        {{- if eq $authMode "jwt" }}
        - name: auth-public-key
          secret:
            secretName: {{ include "weigrid-common.authPublicKeySecret" . }}
            defaultMode: 0440
            items:
              - key: {{ .Values.auth.publicKey.key }}
                path: {{ .Values.auth.publicKey.key }}
        {{- end }}
        {{- if .Values.grpc.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ include "weigrid-common.tlsSecret" . }}
            defaultMode: 0440
            items:
              - key: {{ .Values.grpc.tls.certKey }}
                path: {{ .Values.grpc.tls.certKey }}
              - key: {{ .Values.grpc.tls.keyKey }}
                path: {{ .Values.grpc.tls.keyKey }}
              {{- with .Values.grpc.tls.clientCaKey }}
              - key: {{ . }}
                path: {{ . }}
              {{- end }}
        {{- end }}
        {{- range $name, $_ := .Values.app.clients }}
        {{- with include "weigrid-common.clientTlsVolume" (list $ $name) | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- end }}
        {{- with .Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
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
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
