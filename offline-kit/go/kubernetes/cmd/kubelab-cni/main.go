// Command kubelab-cni is the offline kit's pod network agent, a small stand-in for
// kind's kindnetd (whose image cannot be pulled offline). On each node it writes a
// ptp + host-local CNI config for the node's podCIDR and routes every other node's
// podCIDR via that node's InternalIP, so pods on different kind nodes reach each
// other. Pod egress beyond the cluster is not masqueraded: the labs never need it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const confName = "10-kubelab.conflist"

func main() {
	nodeName := os.Getenv("NODE_NAME")
	confDir := envOr("CNI_CONF_DIR", "/etc/cni/net.d")
	if nodeName == "" {
		log.Fatal("NODE_NAME is not set: the DaemonSet must pass spec.nodeName through the downward API")
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatalf("no in-cluster config: %v", err)
	}
	// kind patches CONTROL_PLANE_ENDPOINT in, so the agent need not wait for
	// kube-proxy to program the kubernetes Service before pods can get a network.
	if ep := os.Getenv("CONTROL_PLANE_ENDPOINT"); ep != "" {
		cfg.Host = "https://" + ep
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	for {
		if err := syncOnce(client, nodeName, confDir); err != nil {
			log.Printf("sync: %v", err)
		}
		// Short, so a new node's pods are reachable within seconds of it joining.
		time.Sleep(2 * time.Second)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func syncOnce(client kubernetes.Interface, nodeName, confDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range nodes.Items {
		node := &nodes.Items[i]
		if node.Name == nodeName {
			if err := writeConfig(node, confDir); err != nil {
				return err
			}
			continue
		}
		if err := routeTo(node); err != nil {
			log.Printf("route to %s: %v", node.Name, err)
		}
	}
	return nil
}

func writeConfig(node *corev1.Node, confDir string) error {
	if len(node.Spec.PodCIDRs) == 0 {
		return fmt.Errorf("node %s has no podCIDR yet", node.Name)
	}
	ranges := [][]map[string]string{}
	for _, cidr := range node.Spec.PodCIDRs {
		ranges = append(ranges, []map[string]string{{"subnet": cidr}})
	}
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kubelab",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"mtu":    1500,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": "/run/cni-ipam-state",
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"ranges":  ranges,
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(confDir, confName)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	// Written whole and renamed, so the runtime never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s for %v", path, node.Spec.PodCIDRs)
	return os.Rename(tmp, path)
}

func routeTo(node *corev1.Node) error {
	var gw net.IP
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			if ip := net.ParseIP(a.Address); ip != nil && ip.To4() != nil {
				gw = ip
			}
		}
	}
	if gw == nil {
		return fmt.Errorf("no IPv4 InternalIP yet")
	}
	for _, cidr := range node.Spec.PodCIDRs {
		_, dst, err := net.ParseCIDR(cidr)
		if err != nil || dst.IP.To4() == nil {
			continue
		}
		if err := netlink.RouteReplace(&netlink.Route{Dst: dst, Gw: gw}); err != nil {
			return err
		}
	}
	return nil
}
