package graphtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// The issuers the calling platform's tokens carry, and the one it uses today.
const (
	IssuerBotFramework = "https://api.botframework.com"
	IssuerGraph        = "https://graph.microsoft.com"
)

// Signer is a signing key of the fake calling platform: an RSA key generated
// at run time with a key id and a self-signed certificate, published in the
// JWKS the way the platform publishes its keys (kid, x5t, x5c).
type Signer struct {
	KID string
	key *rsa.PrivateKey
	jwk jwkset.JWK
}

// NewSigner generates a fresh 2048-bit RSA key with a random key id.
func NewSigner() (*Signer, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	return NewSignerKID(hex.EncodeToString(raw[:]))
}

// NewSignerKID generates a fresh key with the given key id.
func NewSignerKID(kid string) (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "fake calling platform " + kid},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: kid, USE: jwkset.UseSig},
		X509:     jwkset.JWKX509Options{X5C: []*x509.Certificate{cert}},
	})
	if err != nil {
		return nil, fmt.Errorf("build JWK: %w", err)
	}
	return &Signer{KID: kid, key: key, jwk: jwk}, nil
}

// Claims returns the claims the platform puts in a notification token: our
// app id as audience, the Bot Framework issuer, a tenant, valid from a
// minute before now for an hour.
func Claims(audience string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"aud": audience,
		"iss": IssuerBotFramework,
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"tid": "00000000-0000-4000-8000-000000000001",
	}
}

// Sign returns an RS256 token with claims, carrying this key's kid.
func (s *Signer) Sign(claims jwt.Claims) (string, error) {
	return s.SignKID(claims, s.KID)
}

// SignKID signs with this key but names kid in the header, for tokens that
// point at a key the verifier does not have.
func (s *Signer) SignKID(claims jwt.Claims, kid string) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	return tok.SignedString(s.key)
}

// SignMethod signs with this key and kid but with another RSA algorithm
// (RS384, PS256…), for tokens a verifier pinned to RS256 must refuse.
func (s *Signer) SignMethod(method jwt.SigningMethod, claims jwt.Claims) (string, error) {
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = s.KID
	return tok.SignedString(s.key)
}

// MustSign is Sign for tests and the driver, where a signing failure is a bug.
func (s *Signer) MustSign(claims jwt.Claims) string {
	tok, err := s.Sign(claims)
	if err != nil {
		panic(err)
	}
	return tok
}
