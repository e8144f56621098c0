"""SAML attribute names for the French education IdPs (uri NameFormat).

pysaml2 loads every map-shaped dict of the files in `attribute_map_dir`, and only the last
map per NameFormat counts: this one extends pysaml2's own uri map with EduConnect's OIDs and
the attributes some IdPs send by name.
"""

from saml2.attributemaps import saml_uri

FR_EDU = {
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.7": "FrEduCtPersonAffiliation",
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.57": "FrEduCtId",
    "urn:oid:1.3.6.1.4.1.20326.10.999.1.67": "FrEduCtDateNaissance",
    # Sent by name by some IdPs.
    "FrEduCtRefId": "FrEduCtRefId",
    "FrEduCtPersonAffiliation": "FrEduCtPersonAffiliation",
    "FrEduCtId": "FrEduCtId",
    "ctemail": "ctemail",
    "FrEduRne": "FrEduRne",
}

_TO = {name: uri for uri, name in FR_EDU.items() if uri.startswith("urn:oid:")}
_TO.update({name: key for key, name in FR_EDU.items() if name not in _TO})

MAP = {
    "identifier": saml_uri.MAP["identifier"],
    "fro": {**saml_uri.MAP["fro"], **FR_EDU},
    "to": {**saml_uri.MAP["to"], **_TO},
}
