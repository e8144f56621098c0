<?php
// Test-only SimpleSAMLphp configuration, shared by both IdPs (tests/sso/conftest.py lays
// each IdP out in its own folder: <root>/<name>/config/config.php).
$base = dirname(__DIR__);
$name = basename($base);                  // "educonnect" or "agents"
$config = [
    'baseurlpath' => '/',                 // URLs follow the Host header: any port works
    'certdir' => $base . '/cert/',
    'metadatadir' => $base . '/metadata/',
    'tempdir' => $base . '/data/tmp',
    'secretsalt' => 'test-only-salt-' . $name,
    'timezone' => 'Europe/Paris',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'logging.handler' => 'stderr',
    'session.phpsession.savepath' => $base . '/data',
    'session.cookie.secure' => false,
    'session.phpsession.cookiename' => 'SSPPhp_' . $name,
    'session.authtoken.cookiename' => 'SSPAuthToken_' . $name,
    'session.cookie.name' => 'SSPSession_' . $name,
];
