<?php
// The SP under test: Préau's /sso/ URLs on the test client's host. A second SP stands for
// another ENT, whose responses Préau must refuse.
$metadata['http://testserver/sso/metadata/'] = [
    'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
                                    'Location' => 'http://testserver/sso/acs/']],
    'SingleLogoutService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
                               'Location' => 'http://testserver/sso/ls/']],
    'certificate' => 'sp.crt',        // checks the signatures of the SP's requests
    'validate.authnrequest' => true,  // refuse unsigned AuthnRequests
    'validate.logout' => true,        // refuse unsigned LogoutRequests
];
$metadata['http://other-ent.test/sso/metadata/'] = [
    'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
                                    'Location' => 'http://other-ent.test/sso/acs/']],
    'certificate' => 'sp.crt',
];
