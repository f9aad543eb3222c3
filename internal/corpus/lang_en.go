package corpus

func english() langSpec {
	return langSpec{
		tag: "en", weight: 30, script: latin,
		words: `the of to and a in that is for on said with was as it by at from he
his be have has are an not but this they were who had been their will more which
its after or would also one about year new two people she we her there than up
when all out first last over government into can could other some what years no
time says our so only them between told since minister country police president
state while week against before three officials do most because these may many
under where during being such any if those us world how just back now per_cent
including security support million public former him according_to end made take
make still did well even next group local part around through however city
national both four military health like second another should day month own
called foreign today economic political several found want number power law
news war leaders force left five used party court high work days recent held
plan added children billion family help way women report known members forces
life free whether long decision say water house very international set need
expected came among come already much following future official little without
might then further major months early show led took put give case services
system area capital key move current across human growth office workers see
vote late hit region meeting control use team money statement nearly level
policy data rights crisis return change prices chief issue deal care energy
great six half election attack lost real become thousands despite almost good
top hours based small men believe know think asked warned agreed began remain
remains continue continued allowed needed seen given taken working making going
trying looking living running facing killed injured arrested released reported
planned increase rise fall cut tax budget trade market company companies bank oil
gas food school schools hospital town village border areas community residents
families victims young old big large full open clear likely possible important
significant serious strong difficult previous similar different social private
independent senior regional central northern southern eastern western again
never often always yet too here why whose something nothing everyone each every
few less least same instead though although until within outside behind towards
near far along amid off down must might_be will_be has_been have_been had_been
in_the on_the at_the for_the to_the of_the by_the from_the with_the that_the
is_the and_the as_a in_a for_a such_as as_well_as more_than at_least so_far
in_order_to on_Monday last_year this_year next_year the_country the_government
the_capital the_region the_city the_first the_last the_new the_two the_same
the_end the_past the_next one_of some_of many_of most_of part_of because_of
ahead_of in_front_of prime_minister foreign_minister human_rights civil_society
a_spokesperson a_statement a_report a_number_of the_number_of in_recent_years
for_the_first_time at_the_time at_the_end_of at_the_same_time`,
		nouns: `government election ceasefire sanctions inflation budget protest
protesters refugees border economy talks agreement treaty vaccine outbreak
earthquake flooding drought wildfire climate emissions strike union investigation
corruption trial verdict court ruling referendum coalition opposition campaign
troops missiles drones pipeline tariffs exports unemployment reforms journalists
censorship internet_blackout hostages humanitarian_aid peace_talks interest_rates
central_bank migrants evacuation blockade`,
		verbs: `announced approved rejected criticised launched suspended signed blocked
proposed confirmed denied welcomed condemned delayed extended postponed backed
ordered demanded halted expanded raised imposed lifted`,
		said: []string{
			"said", "told reporters", "added", "warned", "said in a statement",
			"stressed", "insisted", "noted", "argued", "told Samizdat",
			"acknowledged", "wrote on social media",
		},
		times: []string{
			"on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
			"on Saturday", "on Sunday", "last week", "earlier this month",
			"on Tuesday evening", "late on Friday", "this week", "last month",
			"overnight", "earlier this year",
		},
		people: []string{
			"Margaret Ellison|f", "David Okafor", "Sarah Whitfield|f", "James Harrington",
			"Priya Raman|f", "Thomas Brennan", "Helen Castillo|f", "Michael Adeyemi",
			"Laura Brandt|f", "Robert Kaminski", "Emily Novak|f", "Daniel Mensah",
			"Catherine Holt|f", "Richard Ashworth", "Anna Lindqvist|f", "Peter Okoye",
			"Grace Whitaker|f", "Samuel Reyes", "Julia Hartmann|f", "Victor Almeida",
		},
		reporters: []string{
			"Jonathan Price", "Amira Hassan", "Kate Morrison", "Lucas Ferreira",
			"Nadia Petrova", "Oliver Grant", "Fatima Rahimi", "Ben Carter",
			"Sofia Marino", "Ethan Brooks", "Rachel Kim", "Tom Fletcher",
		},
		places: []string{
			"Kyiv", "Gaza", "Khartoum", "Tehran", "Kabul", "Caracas", "Nairobi",
			"Lagos", "Brussels", "Geneva", "Moscow", "Beijing", "Istanbul", "Cairo",
			"Beirut", "Damascus", "Baghdad", "Tbilisi", "Minsk", "Addis Ababa",
			"Dhaka", "Yangon", "Hong Kong", "Manila", "Jakarta", "Bogotá", "Lima",
			"São Paulo", "Washington", "London", "New Delhi",
		},
		orgs: []string{
			"the government", "the United Nations", "the European Union",
			"the Interior Ministry", "the Foreign Ministry", "the central bank",
			"the Supreme Court", "the electoral commission",
			"the World Health Organization", "the International Monetary Fund",
			"the Red Cross", "the opposition coalition", "parliament",
			"the state broadcaster", "the Health Ministry", "the World Bank",
			"the African Union", "the Defence Ministry", "Amnesty International",
		},
		templates: []string{
			"{W}.",
			"{E} {S} {T} that {W}.",
			"According to {O}, {W}.",
			"“{W},” {E} {S}.",
			"{O} {V} the {K} {T}, {W}.",
			"In {L}, {W}.",
			"{W} {N} {W}.",
			"The {K} {W}, {S} {E}.",
			"{P}, a spokesperson for {G}, {S} that {W}.",
			"More than {#} people {W} in {L} {T}.",
			"Officials in {C} {S} the {K} {W}.",
			"{E} {V} the {N} and {W}.",
			"What {W} the {K}?",
			"Asked about the {K}, {E} {S}: “{W}.”",
			"The {N} in {L} {W}, according to {O}.",
			"{F} {S} that {W}, and {W}.",
			"Analysts say the {K} {W}.",
			"{O} {V} the {N} in {C} {T}.",
			"Since {Y}, {W}.",
			"{F}, for their part, {S} that {W}.",
			"The {K} is {W}, and {W}.",
			"About {#} per cent of {W}.",
		},
		headlines: []string{
			"{L}: {O} {V} new {K} measures",
			`{E} warns of "{N}" after {K} in {L}`,
			"What the {K} means for {L}",
			"{K} in {L}: what we know so far",
			`{E}: "We will not give up on the {K}"`,
			"{O} {V} {K} deal with {G}",
			"Thousands join {K} protest in {L}",
			"Analysis: why the {K} matters for {E}",
			"{#} killed in {L} as {K} escalates",
			"{E} and {F} hold talks on {K}",
			"{K}: {W}",
		},
		subheads: []string{
			"What happens next", "Reaction", "Background", "Economic impact",
			"What the government says", "A long history", "International response",
			"Voices from {L}", "Why it matters", "The numbers",
		},
		dateline: "{U}, {M} {D} (Samizdat) — ",
		byline:   "By %s",
		and:      " and ",
		footer:   "_Samizdat News is an independent newsroom. This article may be republished with attribution under CC BY 4.0._",
		months: [12]string{"January", "February", "March", "April", "May", "June",
			"July", "August", "September", "October", "November", "December"},
		thousands: ",",
	}
}
