{{/*
Files a service keeps in object storage (video ingest's evidence clips):
a directory on a PersistentVolume, or S3-compatible storage. A chart has
one when its app.objectStore names the configuration section the store's
settings go to (e.g. "evidence": WEIGRID_VIDEO__EVIDENCE__STORE, …), and
its values hold that section (store, local, s3); every helper here renders
nothing otherwise, so the other services' renders are unchanged. The root
filesystem stays read-only: the local directory is a mounted volume.
*/}}

{{/*
Refuses a store other than "local" or "s3", and s3 without a bucket.
*/}}
{{- define "weigrid-common.objectStoreCheck" -}}
{{- with .Values.app.objectStore }}
{{- $section := . }}
{{- $store := index $.Values $section }}
{{- if not (has $store.store (list "local" "s3")) }}
{{- fail (printf "%s.store must be \"local\" or \"s3\", not %q" $section $store.store) }}
{{- end }}
{{- if and (eq $store.store "s3") (not $store.s3.bucket) }}
{{- fail (printf "%s.s3.bucket must name the bucket when %s.store is \"s3\"" $section $section) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's variables of the store.
*/}}
{{- define "weigrid-common.objectStoreConfig" -}}
{{- with .Values.app.objectStore }}
{{- $section := . }}
{{- $store := index $.Values $section }}
{{- include "weigrid-common.objectStoreCheck" $ }}
{{ include "weigrid-common.envName" (list $ $section "store") }}: {{ $store.store | quote }}
{{ include "weigrid-common.envName" (list $ $section "localDir") }}: {{ $store.local.mountPath | quote }}
{{- if eq $store.store "s3" }}
{{ include "weigrid-common.envName" (list $ $section "s3Bucket") }}: {{ $store.s3.bucket | quote }}
{{ include "weigrid-common.envName" (list $ $section "s3Endpoint") }}: {{ $store.s3.endpoint | quote }}
{{ include "weigrid-common.envName" (list $ $section "s3Region") }}: {{ $store.s3.region | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The S3 access key from its Secret (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY), when the store is s3 and a Secret is named.
*/}}
{{- define "weigrid-common.objectStoreEnv" -}}
{{- with .Values.app.objectStore }}
{{- $store := index $.Values . }}
{{- if and (eq $store.store "s3") $store.s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $store.s3.existingSecret }}
      key: {{ $store.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $store.s3.existingSecret }}
      key: {{ $store.s3.secretAccessKeyKey }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The claim the local directory is on: the one named, or the chart's own.
*/}}
{{- define "weigrid-common.objectStoreClaimName" -}}
{{- $store := index .Values .Values.app.objectStore }}
{{- $store.local.existingClaim | default (printf "%s-%s" (include "weigrid-common.fullname" .) .Values.app.objectStore) }}
{{- end }}

{{/*
Where the local directory is mounted (only the Deployment's pods keep
files: the migration Job and the test Pod have no business there).
*/}}
{{- define "weigrid-common.objectStoreVolumeMount" -}}
{{- with .Values.app.objectStore }}
{{- $store := index $.Values . }}
{{- if eq $store.store "local" }}
- name: {{ . }}
  mountPath: {{ $store.local.mountPath }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The local directory's volume: a PersistentVolumeClaim, so the files
outlive the pods.
*/}}
{{- define "weigrid-common.objectStoreVolume" -}}
{{- with .Values.app.objectStore }}
{{- $store := index $.Values . }}
{{- if eq $store.store "local" }}
- name: {{ . }}
  persistentVolumeClaim:
    claimName: {{ include "weigrid-common.objectStoreClaimName" $ }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The chart's own PersistentVolumeClaim for the local directory, when the
store is local and no existing claim is named. Kept when the release is
uninstalled (helm.sh/resource-policy: keep): the files are evidence.
Usage, as the whole of the service chart's templates/objectstore-pvc.yaml:
  {{ include "weigrid-common.objectStoreClaim" . }}
*/}}
{{- define "weigrid-common.objectStoreClaim" -}}
{{- with .Values.app.objectStore }}
{{- $store := index $.Values . }}
{{- if and (eq $store.store "local") (not $store.local.existingClaim) }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "weigrid-common.objectStoreClaimName" $ }}
  labels:
    {{- include "weigrid-common.labels" $ | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
spec:
  accessModes:
    {{- toYaml $store.local.persistence.accessModes | nindent 4 }}
  {{- with $store.local.persistence.storageClass }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ $store.local.persistence.size }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The NetworkPolicy's egress rule to S3-compatible storage, when the store
is s3.
*/}}
{{- define "weigrid-common.objectStoreEgress" -}}
{{- with .Values.app.objectStore }}
{{- $store := index $.Values . }}
{{- if eq $store.store "s3" }}
# S3-compatible storage, where the {{ . }} files are kept.
- ports:
    - port: {{ $store.s3.port }}
      protocol: TCP
  {{- with $store.s3.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}
