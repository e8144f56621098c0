<?php
// An académie's agents portal: login:password => attributes (fictitious people).
$config = ['agents-users' => ['exampleauth:UserPass',
    'prof1:prof1pw' => ['ctemail' => ['jeanne.petit@ac-test.fr'], 'mail' => ['Jeanne.Petit@ac-test.fr'],
        'sn' => ['Petit'], 'givenName' => ['Jeanne'], 'FrEduRne' => ['0591001A$ECOLE$PU'],
        'FrEduFeedId' => ['T-0001']],
    'prof2:prof2pw' => ['ctemail' => ['paul.bernard@ac-test.fr'], 'mail' => ['paul.bernard@ac-test.fr'],
        'sn' => ['Bernard'], 'givenName' => ['Paul'], 'FrEduRne' => ['0591001A$ECOLE$PU', '0592002B$ECOLE$PU']],
]];
