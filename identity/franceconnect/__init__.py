"""FranceConnect v2 as an allauth provider: allauth's OpenID Connect provider, subclassed where FranceConnect
asks more than allauth does (a nonce, ``acr_values`` requested and checked, the ID token's signature always
verified against the published keys, the userinfo answered as a signed JWT, logout at the end-session endpoint)."""
