"""Hospital intake: HL7 v2 ADT (MLLP, drop folder, files), FHIR R4, CSV/Excel discharge lists,
the patient master index, dead letters, and smart enrollment at discharge."""
