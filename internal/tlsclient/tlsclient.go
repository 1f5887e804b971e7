// Package tlsclient owns the TLS side of rebind's outbound connections (the
// SMTP relay, the SMS API): it builds their client configuration from PEM
// files (extra CA certificates on top of the system roots, an optional
// client certificate) and tells a certificate fault from a passing outage.
package tlsclient

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Files names the PEM files of one connection; empty names are unused.
type Files struct {
	// CA is a bundle of CA certificates trusted in addition to the system
	// roots (a private CA).
	CA string
	// Cert and Key are the client certificate and its key, both or neither.
	Cert, Key string
}

// Config builds the client configuration: TLS 1.2 or later, the system
// roots plus f.CA, and the client certificate when given. The server name
// is left for the caller (each sets the host it dials).
func Config(f Files) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool() // no system roots here: the bundle alone
		}
		certs, err := ReadCAs(f.CA)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			roots.AddCert(c)
		}
		cfg.RootCAs = roots
	}
	pair, err := ReadPair(f.Cert, f.Key)
	if err != nil {
		return nil, err
	}
	if pair != nil {
		cfg.Certificates = []tls.Certificate{*pair}
	}
	return cfg, nil
}

// ReadCAs reads a PEM bundle of CA certificates: at least one CERTIFICATE
// block, every one of which parses.
func ReadCAs(path string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: holds a %s block; a CA bundle holds CERTIFICATE blocks only", path, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return certs, nil
}

// ReadPair reads a client certificate and its key; it returns nil when
// both names are empty and an error when only one is given.
func ReadPair(certFile, keyFile string) (*tls.Certificate, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("a client certificate needs both its certificate file and its key file")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	return &pair, nil
}
