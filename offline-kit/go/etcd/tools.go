//go:build tools

// Package tools pins the etcd server this kit builds: the release kubeadm
// deploys for the kit's Kubernetes, from its own Go module.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
