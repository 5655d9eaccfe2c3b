module github.com/lamina-os/lamina-infra/docker/lamina-core

go 1.22
