"""The technician's tools on a board: `officepass-site setup` (a facility file into everything the board needs) and
`officepass-site doctor` (what works, what does not, and the fix). They need only the core: no Qt, no OpenCV."""
