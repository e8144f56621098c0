<?php
// EduConnect look-alike: login:password => attributes (fictitious people).
$config = ['educonnect-users' => ['exampleauth:UserPass',
    'parent1:parent1pw' => ['FrEduCtId' => ['ECT-RESP-0001'], 'FrEduCtPersonAffiliation' => ['resp2d'],
        'FrEduCtRefId' => ['{AAF}09|1|2000123', '{AAF}18|1|4500789', '{ONDE}0591001A|77'],
        'sn' => ['Durand'], 'givenName' => ['Marie']],
    'eleve2d:eleve2dpw' => ['FrEduCtId' => ['ECT-ELEV-0002'], 'FrEduCtPersonAffiliation' => ['eleve2d'],
        'FrEduCtRefId' => ['{AAF}09|1|2000456'], 'sn' => ['Durand'], 'givenName' => ['Léo'],
        'FrEduCtDateNaissance' => ['2011-04-17']],
    'eleve1d:eleve1dpw' => ['FrEduCtId' => ['ECT-ELEV-0003'], 'FrEduCtPersonAffiliation' => ['eleve1d'],
        'FrEduCtRefId' => ['{AAF}09|1|2000789'], 'sn' => ['Martin'], 'givenName' => ['Chloé'],
        'FrEduCtDateNaissance' => ['2016-09-02']],
]];
