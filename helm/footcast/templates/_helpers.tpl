{{/* Names: "footcast" for a release named footcast, else "<release>-footcast". */}}
{{- define "footcast.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "footcast.name" -}}
{{- printf "%s-%s" (include "footcast.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "footcast.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "footcast.labels" -}}
{{ include "footcast.selectorLabels" . }}
app.kubernetes.io/part-of: footcast
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "footcast.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "footcast.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The pod spec lines every footcast pod shares. */}}
{{- define "footcast.podCommon" -}}
serviceAccountName: {{ include "footcast.fullname" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- include "footcast.imagePullSecrets" . }}
{{- end -}}

{{/* Secret keys a footcast process (API, worker, pipeline, MLflow client) reads. With the
chart's own cache Redis, FOOTCAST_CACHE_URL names it (password from the Secret). */}}
{{- define "footcast.appSecretEnv" -}}
{{- $keys := list "FOOTCAST_DATABASE_URL" "FOOTCAST_BROKER_URL" "FOOTCAST_RESULTS_URL" "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" }}
{{- if not .Values.redisCache.enabled }}
{{- $keys = append $keys "FOOTCAST_CACHE_URL" }}
{{- end }}
{{- range $keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secretName }}
      key: {{ . }}
{{- end }}
{{- if .Values.redisCache.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .Values.secretName }}, key: REDIS_PASSWORD}
- name: FOOTCAST_CACHE_URL
  value: redis://:$(REDIS_PASSWORD)@{{ include "footcast.name" (dict "root" . "component" "redis-cache") }}:6379/0
{{- end }}
{{- end -}}

{{/* Environment of every container running the footcast image. */}}
{{- define "footcast.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "footcast.fullname" . }}-settings
env:
  - name: HOME
    value: /tmp
  {{- include "footcast.appSecretEnv" . | trim | nindent 2 }}
{{- end -}}

{{- define "footcast.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* A PersistentVolumeClaim template for a StatefulSet: (dict "storage" .storage "name" "data"). */}}
{{- define "footcast.volumeClaim" -}}
- metadata:
    name: data
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .storage.storageClassName }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .storage.size }}
{{- end -}}

{{/* securityContext of a third-party service container running as `uid`. */}}
{{- define "footcast.serviceSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "footcast.servicePodSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "footcast.mlflowTrackingUri" -}}
{{- if .Values.mlflow.enabled -}}
http://{{ include "footcast.fullname" . }}-mlflow:{{ .Values.mlflow.port }}
{{- else -}}
{{- required "mlflow.externalTrackingUri is required when mlflow.enabled is false" .Values.mlflow.externalTrackingUri -}}
{{- end -}}
{{- end -}}

{{- define "footcast.s3Endpoint" -}}
{{- if .Values.minio.enabled -}}
http://{{ include "footcast.fullname" . }}-minio:9000
{{- else -}}
{{- .Values.minio.externalEndpoint -}}
{{- end -}}
{{- end -}}
