<?php
$metadata['https://agents.ac-test.test/idp'] = [
    'host' => '__DEFAULT__',
    'auth' => 'agents-users',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'authproc' => [10 => [
        'class' => 'core:AttributeMap',
        'sn' => 'urn:oid:2.5.4.4',
        'givenName' => 'urn:oid:2.5.4.42',
        'mail' => 'urn:oid:0.9.2342.19200300.100.1.3',
    ]],
];
