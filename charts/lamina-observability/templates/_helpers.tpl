{{/*
Expand the name of the chart.
*/}}
{{- define "lamina-observability.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "lamina-observability.fullname" -}}
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
Create chart name and version as used by the chart label.
*/}}
{{- define "lamina-observability.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. User-supplied commonLabels are added; the chart's own labels
win on conflicting keys.
*/}}
{{- define "lamina-observability.labels" -}}
{{- $labels := dict
  "helm.sh/chart" (include "lamina-observability.chart" .)
  "app.kubernetes.io/name" (include "lamina-observability.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/version" .Chart.AppVersion
  "app.kubernetes.io/managed-by" .Release.Service
  "app.kubernetes.io/part-of" "lamina"
}}
{{- toYaml (merge $labels .Values.commonLabels) }}
{{- end }}

{{/*
Namespace of the monitored lamina-core Service.
*/}}
{{- define "lamina-observability.targetNamespace" -}}
{{- default .Release.Namespace .Values.target.namespace }}
{{- end }}

{{/*
The target selector as comma-separated key=value pairs.
*/}}
{{- define "lamina-observability.selectorString" -}}
{{- $pairs := list }}
{{- range $k, $v := .Values.target.selector }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}
