package main

// The vocabularies the names, labels and descriptions are drawn from. They are lower-case words
// of letters only, so any of them can be a segment of an id (ids of categories, subobjects,
// modules, bundles and dashboards are ^[A-Z][a-z]*(_[a-z]+)*$, properties ^(Has|Is)_[a-z]+…).
// Labels are made of the same words, so a search for one of them finds entities whose label,
// id or description holds it, as a search for "sample" would on the real ontology.

// rootNames are the roots of the category graph, in the order they are used.
var rootNames = []string{
	"Agent", "Event", "Place", "Document", "Material", "Equipment", "Process", "Project",
	"Dataset", "Organism", "Measurement", "Publication", "Software", "Facility", "Procedure",
	"Concept", "Artifact", "Service", "Role", "Collection", "Sample", "Observation", "Activity",
	"Resource", "Instrument", "Substance", "Structure", "Region", "Period", "Method", "Plan",
	"Record", "Group", "Product", "Container", "Phenomenon", "Standard", "Agreement", "Quantity",
	"Specimen",
}

// nouns are head nouns of categories ("Microscope") and qualifiers of property ids
// ("Has_microscope_model").
var nouns = []string{
	"sample", "specimen", "instrument", "microscope", "antibody", "reagent", "protocol", "assay",
	"experiment", "study", "grant", "laboratory", "building", "room", "freezer", "centrifuge",
	"pipette", "sequencer", "plasmid", "cell", "tissue", "organ", "patient", "subject", "donor",
	"cohort", "survey", "questionnaire", "interview", "image", "video", "recording", "report",
	"article", "thesis", "book", "chapter", "manuscript", "review", "table", "figure", "model",
	"simulation", "algorithm", "script", "pipeline", "workflow", "server", "database",
	"repository", "license", "method", "technique", "compound", "solution", "buffer", "medium",
	"chemical", "enzyme", "protein", "gene", "sequence", "variant", "strain", "species", "plant",
	"animal", "mouse", "fish", "bacterium", "virus", "fungus", "sensor", "detector", "camera",
	"laser", "spectrometer", "chromatograph", "balance", "incubator", "oven", "hood", "cabinet",
	"shelf", "vial", "tube", "plate", "flask", "box", "rack", "kit", "device", "tool", "part",
	"component", "battery", "cable", "meeting", "workshop", "conference", "course", "lecture",
	"seminar", "training", "person", "student", "researcher", "technician", "supervisor",
	"manager", "team", "department", "institute", "university", "company", "funder", "partner",
	"supplier", "vendor", "customer", "order", "invoice", "shipment", "delivery", "budget",
	"payment", "contract", "permit", "approval", "consent", "risk", "hazard", "incident",
	"inspection", "audit", "calibration", "maintenance", "repair", "booking", "reservation",
	"schedule", "task", "milestone", "deliverable", "goal", "outcome", "result", "finding",
	"hypothesis", "question", "comment", "note", "annotation", "keyword", "topic", "discipline",
	"country", "city", "site", "station", "location", "address", "map", "river", "lake", "forest",
	"soil", "rock", "mineral", "fossil", "water", "weather", "climate", "season", "harvest",
	"crop", "seed", "leaf", "root", "flower", "insect", "bird", "mammal", "reptile", "parasite",
	"vaccine", "drug", "dose", "therapy", "diagnosis", "symptom", "disease", "infection", "test",
	"scan", "biopsy", "culture", "colony", "batch", "lot", "label", "barcode", "inventory",
	"stock", "catalog", "archive", "folder", "file", "format", "schema", "ontology", "term",
	"vocabulary", "glossary", "policy", "guideline", "regulation", "standard", "form",
	"template", "checklist", "log", "notebook", "entry", "page", "website", "account", "user",
	"password", "network", "router", "cluster", "node", "job", "queue", "storage", "backup",
	"volume", "snapshot", "release", "version", "feature", "issue", "bug", "patch", "tutorial",
	"manual", "handbook", "poster", "slide", "talk", "award", "prize", "fellowship",
	"scholarship", "position", "vacancy", "application", "interviewer", "committee", "board",
	"panel", "vote", "decision", "minute", "agenda", "trip", "visit", "expedition", "cruise",
	"vessel", "vehicle", "aircraft", "drone", "satellite", "telescope", "antenna", "magnet",
	"pump", "valve", "filter", "membrane", "electrode", "probe", "needle", "syringe", "mask",
	"glove", "gown", "waste", "spill", "fire", "alarm", "door", "key", "lock", "badge", "cage",
	"tank", "aquarium", "greenhouse", "garden", "farm", "herd", "flock", "hive", "nest", "trap",
	"transect", "quadrat", "plot", "core", "well", "borehole", "spring", "glacier", "dune",
	"reef", "shore", "estuary", "wetland", "meadow", "peak", "valley", "cave", "mine", "quarry",
	"kiln", "furnace", "reactor", "turbine", "engine", "motor", "gear", "circuit", "chip",
	"board", "display", "printer", "scanner", "terminal", "console", "keyboard",
}

// modifiers qualify a head noun: "Frozen_sample", "Optical_microscope".
var modifiers = []string{
	"frozen", "fixed", "fresh", "raw", "processed", "primary", "secondary", "external",
	"internal", "digital", "physical", "optical", "electronic", "manual", "automated",
	"clinical", "environmental", "marine", "terrestrial", "aquatic", "field", "mobile",
	"portable", "stationary", "shared", "private", "public", "archived", "active", "planned",
	"completed", "annual", "monthly", "daily", "pilot", "reference", "control", "custom",
	"legacy", "temporary", "permanent", "biological", "genomic", "proteomic", "metabolic",
	"thermal", "acoustic", "magnetic", "electrical", "mechanical", "structural", "spatial",
	"temporal", "statistical", "qualitative", "quantitative", "experimental", "theoretical",
	"applied", "basic", "advanced", "introductory", "national", "regional", "local", "global",
	"urban", "rural", "coastal", "alpine", "tropical", "arctic", "desert", "volcanic", "fluvial",
	"glacial", "sedimentary", "igneous", "organic", "inorganic", "synthetic", "natural",
	"recombinant", "transgenic", "wild", "domestic", "captive", "juvenile", "adult", "larval",
	"male", "female", "pediatric", "geriatric", "acute", "chronic", "preventive", "diagnostic",
	"surgical", "dental", "veterinary", "forensic", "historical", "modern", "ancient",
	"medieval", "industrial", "commercial", "academic", "governmental", "nonprofit", "internal",
	"interim", "final", "draft", "approved", "rejected", "pending", "open", "closed", "sealed",
	"sterile", "hazardous", "radioactive", "flammable", "toxic", "corrosive", "cryogenic",
	"heated", "cooled", "dried", "wet", "liquid", "solid", "gaseous", "powdered", "diluted",
	"concentrated", "purified", "labeled", "unlabeled", "tagged", "indexed", "curated",
	"annotated", "validated", "calibrated", "certified", "accredited", "remote", "virtual",
	"hybrid", "central", "peripheral", "main", "auxiliary", "backup", "spare", "replacement",
	"standard", "compact", "large", "small", "high", "low", "fast", "slow", "multi", "single",
	"double", "triple", "inverted", "upright", "confocal", "fluorescent", "electron", "scanning",
	"transmission", "infrared", "ultraviolet", "spectral", "seismic", "atmospheric", "oceanic",
	"soil", "plant", "animal", "human", "microbial", "viral", "cellular", "molecular", "tissue",
}

// areas name modules ("Microscopy") and bundles.
var areas = []string{
	"Biology", "Chemistry", "Genomics", "Proteomics", "Microscopy", "Imaging", "Ecology",
	"Fieldwork", "Clinical", "Pharmacology", "Inventory", "Procurement", "Safety", "Teaching",
	"Publishing", "Software", "Computing", "Facilities", "Equipment", "Personnel", "Finance",
	"Projects", "Ethics", "Biobank", "Husbandry", "Botany", "Geology", "Hydrology",
	"Meteorology", "Astronomy", "Physics", "Materials", "Robotics", "Electronics", "Archives",
	"Library", "Museum", "Events", "Outreach", "Quality", "Metrology", "Logistics", "Zoology",
	"Entomology", "Ornithology", "Mycology", "Virology", "Immunology", "Neuroscience",
	"Oncology", "Epidemiology", "Nutrition", "Agronomy", "Forestry", "Oceanography",
	"Glaciology", "Volcanology", "Paleontology", "Archaeology", "Linguistics", "Sociology",
	"Economics", "Statistics", "Mathematics", "Engineering", "Energy", "Transport", "Climate",
	"Soils", "Water", "Crystallography", "Spectroscopy", "Chromatography", "Sequencing",
	"Bioinformatics", "Cytometry", "Histology", "Pathology", "Radiology", "Surgery",
}

// bundleNames name bundles, in the order they are used.
var bundleNames = []string{
	"Default", "Research_lab", "Teaching_lab", "Field_station", "Clinical_research", "Biobank",
	"Core_facility", "Data_management", "Engineering_workshop", "Natural_history",
	"Imaging_center", "Sequencing_center", "Environmental_monitoring", "Chemistry_lab",
	"Animal_facility", "Plant_science", "Earth_science", "Museum_collection", "Digital_library",
	"Project_office",
}

// subobjectSuffixes make subobject ids: "Sample_entry", "Calibration_record".
var subobjectSuffixes = []string{
	"entry", "record", "details", "specification", "reading", "measurement", "step", "item",
	"line", "range", "setting", "component", "contact", "condition", "result", "interval",
	"reference", "role", "funding", "version", "note", "assignment", "position", "dimension",
	"treatment", "observation", "usage", "transfer",
}

// templateStyles make template ids: "Property/Sample_link".
var templateStyles = []string{"link", "list", "badge", "table", "card", "chip", "summary", "value", "gallery", "timeline"}

// itemWords name resources within their category: "Main_freezer".
var itemWords = []string{
	"main", "north", "south", "east", "west", "old", "new", "blue", "red", "green", "alpha",
	"beta", "gamma", "delta", "first", "second", "third", "upper", "lower", "left", "right",
	"default", "example", "demo", "sample", "test", "shared", "spare", "backup", "reference",
}

// booleanWords make Is_ properties: "Is_sterile", "Is_sample_archived".
var booleanWords = []string{
	"active", "public", "verified", "approved", "sterile", "hazardous", "calibrated", "archived",
	"required", "deprecated", "available", "confidential", "certified", "completed", "published",
	"validated", "restricted", "shared", "frozen", "damaged", "lost", "retired", "reserved",
	"insured", "licensed", "anonymized", "consented", "funded", "open", "primary",
}

// attrKind says which extra fields a property of an attribute gets.
type attrKind int

const (
	plainAttr   attrKind = iota // nothing beyond datatype and cardinality
	enumAttr                    // allowed_values
	pageAttr                    // a link to another page: Allows_value_from_category, a template
	measureAttr                 // display_units, display_precision
	idAttr                      // unique_values, allowed_pattern
)

// attribute is the last word of a property id and what it implies.
type attribute struct {
	word     string
	datatype string
	kind     attrKind
	units    []string
}

// attributes are what properties are about: "Has_sample_volume" is a volume.
var attributes = []attribute{
	{"name", "Text", plainAttr, nil},
	{"title", "Monolingual text", plainAttr, nil},
	{"code", "Code", idAttr, nil},
	{"identifier", "External identifier", idAttr, nil},
	{"number", "External identifier", idAttr, nil},
	{"serial", "External identifier", idAttr, nil},
	{"barcode", "External identifier", idAttr, nil},
	{"date", "Date", plainAttr, nil},
	{"start", "Date", plainAttr, nil},
	{"end", "Date", plainAttr, nil},
	{"deadline", "Date", plainAttr, nil},
	{"expiry", "Date", plainAttr, nil},
	{"duration", "Quantity", measureAttr, []string{"s", "min", "h", "d"}},
	{"volume", "Quantity", measureAttr, []string{"mL", "L", "uL"}},
	{"weight", "Quantity", measureAttr, []string{"g", "kg", "mg"}},
	{"mass", "Quantity", measureAttr, []string{"g", "kg"}},
	{"length", "Quantity", measureAttr, []string{"mm", "cm", "m"}},
	{"width", "Quantity", measureAttr, []string{"mm", "cm", "m"}},
	{"height", "Quantity", measureAttr, []string{"mm", "cm", "m"}},
	{"depth", "Quantity", measureAttr, []string{"m", "km"}},
	{"temperature", "Temperature", measureAttr, []string{"C", "K"}},
	{"pressure", "Quantity", measureAttr, []string{"Pa", "kPa", "bar"}},
	{"concentration", "Quantity", measureAttr, []string{"mol/L", "mg/mL"}},
	{"ph", "Number", measureAttr, nil},
	{"count", "Number", measureAttr, nil},
	{"quantity", "Number", measureAttr, nil},
	{"price", "Quantity", measureAttr, []string{"EUR", "USD"}},
	{"cost", "Quantity", measureAttr, []string{"EUR", "USD"}},
	{"capacity", "Quantity", measureAttr, []string{"L", "kg"}},
	{"speed", "Quantity", measureAttr, []string{"rpm", "m/s"}},
	{"frequency", "Quantity", measureAttr, []string{"Hz", "kHz", "MHz"}},
	{"wavelength", "Quantity", measureAttr, []string{"nm"}},
	{"power", "Quantity", measureAttr, []string{"W", "kW"}},
	{"voltage", "Quantity", measureAttr, []string{"V", "mV"}},
	{"resolution", "Quantity", measureAttr, []string{"nm", "um"}},
	{"accuracy", "Number", measureAttr, nil},
	{"score", "Number", measureAttr, nil},
	{"rating", "Number", measureAttr, nil},
	{"status", "Text", enumAttr, nil},
	{"type", "Text", enumAttr, nil},
	{"level", "Text", enumAttr, nil},
	{"stage", "Text", enumAttr, nil},
	{"phase", "Text", enumAttr, nil},
	{"priority", "Text", enumAttr, nil},
	{"grade", "Text", enumAttr, nil},
	{"condition", "Text", enumAttr, nil},
	{"owner", "Page", pageAttr, nil},
	{"author", "Page", pageAttr, nil},
	{"creator", "Page", pageAttr, nil},
	{"contact", "Page", pageAttr, nil},
	{"manufacturer", "Page", pageAttr, nil},
	{"supplier", "Page", pageAttr, nil},
	{"location", "Page", pageAttr, nil},
	{"source", "Page", pageAttr, nil},
	{"method", "Page", pageAttr, nil},
	{"protocol", "Page", pageAttr, nil},
	{"project", "Page", pageAttr, nil},
	{"site", "Page", pageAttr, nil},
	{"email", "Email", plainAttr, nil},
	{"phone", "Telephone number", plainAttr, nil},
	{"website", "URL", plainAttr, nil},
	{"link", "URL", plainAttr, nil},
	{"uri", "Annotation URI", plainAttr, nil},
	{"coordinates", "Geographic coordinates", plainAttr, nil},
	{"keyword", "Keyword", plainAttr, nil},
	{"tag", "Keyword", plainAttr, nil},
	{"note", "Text", plainAttr, nil},
	{"comment", "Text", plainAttr, nil},
	{"summary", "Text", plainAttr, nil},
	{"abstract", "Text", plainAttr, nil},
	{"remark", "Text", plainAttr, nil},
	{"model", "Text", plainAttr, nil},
	{"format", "Text", enumAttr, nil},
	{"language", "Text", enumAttr, nil},
	{"version", "Text", plainAttr, nil},
	{"citation", "Reference", plainAttr, nil},
	{"record", "Record", plainAttr, nil},
	{"color", "Text", enumAttr, nil},
}

// enumValues are the allowed_values of enumAttr properties, by attribute word; others get
// genericValues.
var enumValues = map[string][]string{
	"status":    {"Planned", "Active", "On hold", "Completed", "Cancelled"},
	"level":     {"Low", "Medium", "High"},
	"stage":     {"Early", "Intermediate", "Late"},
	"phase":     {"Phase I", "Phase II", "Phase III", "Phase IV"},
	"priority":  {"Low", "Normal", "High", "Urgent"},
	"grade":     {"A", "B", "C", "D"},
	"condition": {"New", "Good", "Fair", "Poor", "Broken"},
	"format":    {"PDF", "CSV", "JSON", "XML", "TIFF", "PNG"},
	"language":  {"English", "German", "French", "Spanish"},
	"color":     {"Red", "Green", "Blue", "Yellow", "Black", "White"},
}

// genericValues are the allowed_values of "type" and other enumAttr words without a list.
var genericValues = []string{"Standard", "Custom", "Reference", "Experimental", "Other"}

// commonProperty is a property of the Core module that near-root categories list, so that its
// used-by answer is large.
type commonProperty struct {
	id, label, description, datatype, cardinality string
}

// commonProperties are Core's properties, Has_name first (every root requires it).
var commonProperties = []commonProperty{
	{"Has_name", "Name", "The name of an entity", "Text", "single"},
	{"Has_description", "Description", "A textual description of the entity", "Text", "single"},
	{"Has_identifier", "Identifier", "A persistent identifier of the entity", "External identifier", "single"},
	{"Has_alias", "Alias", "Another name the entity is known by", "Text", "multiple"},
	{"Has_website", "Website", "URL of the entity's website", "URL", "single"},
	{"Has_email", "Email", "Email address for contact", "Email", "multiple"},
	{"Has_image", "Image", "A picture of the entity", "Page", "multiple"},
	{"Has_creation_date", "Creation date", "When the entity was created", "Date", "single"},
	{"Has_modification_date", "Modification date", "When the entity was last changed", "Date", "single"},
	{"Has_status", "Status", "The life-cycle status of the entity", "Text", "single"},
	{"Has_owner", "Owner", "Who is responsible for the entity", "Page", "single"},
	{"Has_keyword", "Keyword", "Keywords that classify the entity", "Keyword", "multiple"},
	{"Has_note", "Note", "A free-text note", "Text", "multiple"},
	{"Has_license", "License", "The license under which the entity may be used", "Page", "single"},
	{"Has_location", "Location", "Where the entity is", "Page", "single"},
	{"Has_start_date", "Start date", "When the entity begins", "Date", "single"},
	{"Has_end_date", "End date", "When the entity ends", "Date", "single"},
	{"Has_phone_number", "Phone number", "Telephone number for contact", "Telephone number", "single"},
	{"Is_active", "Active", "Whether the entity is in use", "Boolean", "single"},
	{"Is_public", "Public", "Whether the entity may be shown to anyone", "Boolean", "single"},
	{"Has_street", "Street", "Street address including number", "Text", "single"},
	{"Has_city", "City", "City or locality name", "Text", "single"},
	{"Has_country", "Country", "Country name", "Text", "single"},
	{"Has_postal_code", "Postal code", "Postal or ZIP code", "Text", "single"},
}

// addressProperties are the common properties the Core subobject Address is made of; they are
// not listed by categories directly.
var addressProperties = map[string]bool{"Has_street": true, "Has_city": true, "Has_country": true, "Has_postal_code": true}

// coreTemplates are the templates of the Core module, by the datatype they render.
var coreTemplates = []struct{ name, datatype string }{
	{"Page", "Page"}, {"Url", "URL"}, {"Email", "Email"}, {"Date", "Date"},
	{"Quantity", "Quantity"}, {"Boolean", "Boolean"},
}
