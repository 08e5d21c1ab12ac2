package models

// Product descriptors in the Open Data Product Standard (ODPS v1.0.0): the
// product as a whole, its ports and where their contracts are.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ODPSAPIVersion is the version of the Open Data Product Standard Plaza writes.
const ODPSAPIVersion = "v1.0.0"

// ContractURL is where the API serves a product's ODCS contract.
func ContractURL(baseURL string, p *Product) string {
	return strings.TrimRight(baseURL, "/") + "/api/v1/products/" + p.Domain.Slug + "/" + p.Slug + "/contract"
}

// ExportODPS writes p as an ODPS v1.0.0 product descriptor in YAML. Each
// output port points at the product's ODCS contract under baseURL (an
// absolute URL like https://plaza.example.com). Input ports that read other
// products and the team's owners need the database: Store.ProductDescriptor
// adds them.
func ExportODPS(p *Product, baseURL string) ([]byte, error) {
	return exportODPS(p, baseURL, nil, nil)
}

// odpsUpstream is a product an input port reads, with the port it reads.
type odpsUpstream struct {
	product *Product
	port    string
}

// ProductDescriptor is ExportODPS with the team's owners and the products
// p's input ports read from.
func (s *Store) ProductDescriptor(ctx context.Context, p *Product, baseURL string) ([]byte, error) {
	owners, err := s.ProductOwners(ctx, p)
	if err != nil {
		return nil, err
	}
	var ups []odpsUpstream
	for _, ip := range p.InputPorts {
		if ip.UpstreamProductID == nil {
			continue
		}
		up, err := s.ProductByID(ctx, *ip.UpstreamProductID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ups = append(ups, odpsUpstream{up, ip.UpstreamPort})
	}
	return exportODPS(p, baseURL, owners, ups)
}

func exportODPS(p *Product, baseURL string, owners []User, ups []odpsUpstream) ([]byte, error) {
	kept, err := contractExtra(p.ContractExtra)
	if err != nil {
		return nil, fmt.Errorf("export descriptor of %s: kept parts: %w", p.Slug, err)
	}
	base := strings.TrimRight(baseURL, "/")
	absolute := false
	if u, err := url.Parse(base); err == nil && u.IsAbs() && u.Host != "" {
		absolute = true
	}
	contract := ContractURL(base, p)

	root := newMap()
	addPair(root, "apiVersion", strNode(ODPSAPIVersion))
	addPair(root, "kind", strNode("DataProduct"))
	addPair(root, "id", strNode(p.URN()))
	addPair(root, "name", strNode(p.Name))
	addPair(root, "version", strNode(p.Version))
	addPair(root, "status", strNode(odcsStatus(p.Status)))
	addPair(root, "domain", strNode(p.Domain.Slug))
	desc := newMap()
	for _, kv := range [][2]string{{"purpose", p.Summary}, {"usage", p.Description}, {"limitations", p.TermsOfUse}} {
		if kv[1] != "" {
			addPair(desc, kv[0], strNode(kv[1]))
		}
	}
	addIf(root, "description", desc)
	if tags := p.TagNames(); len(tags) > 0 {
		s := newSeq()
		for _, t := range tags {
			s.Content = append(s.Content, strNode(t))
		}
		addPair(root, "tags", s)
	}

	inputs := newSeq()
	for _, up := range ups {
		ref := up.product.Domain.Slug + "/" + up.product.Slug
		if up.port != "" {
			ref += "/" + up.port
		}
		upKept, err := contractExtra(up.product.ContractExtra)
		if err != nil {
			upKept = newMap()
		}
		in := newMap()
		addPair(in, "name", strNode(ref))
		addPair(in, "version", strNode(up.product.Version))
		addPair(in, "contractId", strNode(contractID(up.product, upKept)))
		inputs.Content = append(inputs.Content, in)
	}
	addIf(root, "inputPorts", inputs)

	outputs := newSeq()
	for _, port := range p.OutputPorts {
		o := newMap()
		addPair(o, "name", strNode(port.Slug))
		if port.Description != "" {
			addPair(o, "description", strNode(port.Description))
		}
		addPair(o, "type", strNode(port.Format))
		addPair(o, "version", strNode(p.Version))
		addPair(o, "contractId", strNode(contract))
		outputs.Content = append(outputs.Content, o)
	}
	addIf(root, "outputPorts", outputs)

	if absolute {
		mgmt := newSeq()
		page := newMap()
		addPair(page, "name", strNode("product-page"))
		addPair(page, "content", strNode("discoverability"))
		addPair(page, "type", strNode("rest"))
		addPair(page, "url", strNode(base+p.Path()))
		addPair(page, "description", strNode("The product's page in Plaza: owners, schema, quality and how to ask for access."))
		dict := newMap()
		addPair(dict, "name", strNode("contract"))
		addPair(dict, "content", strNode("dictionary"))
		addPair(dict, "type", strNode("rest"))
		addPair(dict, "url", strNode(contract))
		addPair(dict, "description", strNode("The data contract (ODCS "+ODCSAPIVersion+", YAML)."))
		mgmt.Content = append(mgmt.Content, page, dict)
		addPair(root, "managementPorts", mgmt)
	}

	addIf(root, "support", odpsSupport(p, kept, base, absolute))

	team := newSeq()
	for _, u := range owners {
		m := newMap()
		addPair(m, "username", strNode(u.Email))
		if u.Name != "" {
			addPair(m, "name", strNode(u.Name))
		}
		addPair(m, "role", strNode("owner"))
		team.Content = append(team.Content, m)
	}
	addIf(root, "team", team)

	custom := newSeq()
	custom.Content = append(custom.Content,
		customProperty("classification", strNode(p.Classification)),
		customProperty("team", strNode(p.Domain.Slug+"/"+p.Team.Slug)))
	if p.Team.Name != "" {
		custom.Content = append(custom.Content, customProperty("teamName", strNode(p.Team.Name)))
	}
	var landing []*yaml.Node
	for _, ip := range p.InputPorts {
		if ip.Landing != "" {
			landing = append(landing, strNode("landing/"+p.Domain.Slug+"/"+ip.Landing))
		}
	}
	if len(landing) > 0 {
		custom.Content = append(custom.Content, customProperty("landingInputs", seqOf(landing)))
	}
	addPair(root, "customProperties", custom)
	if !p.CreatedAt.IsZero() {
		addPair(root, "productCreatedTs", strNode(p.CreatedAt.UTC().Format(time.RFC3339)))
	}

	out, err := encodeYAML(root, fmt.Sprintf("Data product %s (%s): Open Data Product Standard %s, written by Plaza.", p.Name, p.URN(), ODPSAPIVersion))
	if err != nil {
		return nil, fmt.Errorf("export descriptor of %s: %w", p.Slug, err)
	}
	return out, nil
}

// odpsSupport lists support channels with an address, as ODPS requires:
// the product's own channel, then those kept from its contract.
func odpsSupport(p *Product, kept *yaml.Node, base string, absolute bool) *yaml.Node {
	out := newSeq()
	add := func(channel, address string, from *yaml.Node) {
		u, err := url.Parse(address)
		if channel == "" || err != nil || !u.IsAbs() {
			return
		}
		m := newMap()
		addPair(m, "channel", strNode(channel))
		addPair(m, "url", strNode(address))
		for _, k := range []string{"description", "tool", "scope"} {
			if v := scalarText(mapGet(from, k)); v != "" {
				addPair(m, k, strNode(v))
			}
		}
		if v := scalarText(mapGet(from, "invitationUrl")); v != "" {
			if iu, err := url.Parse(v); err == nil && iu.IsAbs() {
				addPair(m, "invitationUrl", strNode(v))
			}
		}
		out.Content = append(out.Content, m)
	}
	var list []*yaml.Node
	if ks := mapGet(kept, "support"); ks != nil && ks.Kind == yaml.SequenceNode {
		list = ks.Content
	}
	var first *yaml.Node
	if len(list) > 0 {
		first, list = list[0], list[1:]
	}
	switch sc := strings.TrimSpace(p.SupportChannel); {
	case sc == "":
	case isURL(sc):
		add(firstNonEmpty(scalarText(mapGet(first, "channel")), "support"), sc, first)
	case strings.Contains(sc, "@") && !strings.ContainsAny(sc, " \t"):
		add(sc, "mailto:"+sc, first)
	case absolute:
		add(sc, base+p.Path(), first) // a channel name only: point at the page that shows it
	}
	for _, e := range list {
		add(scalarText(mapGet(e, "channel")), scalarText(mapGet(e, "url")), e)
	}
	return out
}
