<?php
$metadata['https://educonnect.test/idp'] = [
    'host' => '__DEFAULT__',
    'auth' => 'educonnect-users',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'authproc' => [10 => [                // name -> urn:oid:; unlisted names (FrEduCtRefId) pass as is
        'class' => 'core:AttributeMap',
        'sn' => 'urn:oid:2.5.4.4',
        'givenName' => 'urn:oid:2.5.4.42',
        'FrEduCtPersonAffiliation' => 'urn:oid:1.3.6.1.4.1.20326.10.999.1.7',
        'FrEduCtId' => 'urn:oid:1.3.6.1.4.1.20326.10.999.1.57',
        'FrEduCtDateNaissance' => 'urn:oid:1.3.6.1.4.1.20326.10.999.1.67',
    ]],
];
