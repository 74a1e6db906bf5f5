"""Hand-written customer messages for the demo's e-commerce intent dataset, one per line.

Written for this project (no external source): colloquial, with typos and slang on purpose,
short and long. `dataset.py` splits them into train / validation / calibration.
"""

# Output-index order of the intent head (labels.txt).
INTENTS = [
    "order_status", "track_package", "coupon_not_working", "return_request", "refund_status",
    "cancel_order", "change_address", "payment_failed", "invoice_request", "size_exchange",
    "damaged_item", "product_question", "account_login", "membership_points", "talk_to_human",
]

UTTERANCES: dict[str, str] = {}

UTTERANCES["order_status"] = """
where is my order
whats the status of my order
my order still hasnt shipped, its been 5 days
i ordered on monday and it still says processing??
has my order been sent out yet
order #48213 status pls
why is my order stuck on 'preparing'
hi, can you check if my order went out
when will you ship my stuff
it's been a week and nothing has shipped wtf
is my order confirmed? i didnt get any email
can u tell me when my order will be dispatched
order status says pending for 3 days now, is that normal
still waiting on my order to ship
hello, i placed an order last friday and i havent heard anything since, not even a shipping notification. could someone look into it and tell me whether it's actually being processed or if something went wrong?
did my order go through
wen will my order ship
my order is taking forever to leave the warehouse
any update on order 99120?
when does my order get shipped out
just wondering if my order is packed yet
ordr status???
my stuff hasnt been shipped, whats going on
it says 'awaiting fulfillment' what does that even mean
need an update on my purchase from last week
i paid already but the order still isnt shipped
is there a delay on orders right now? mine hasnt moved
check order status for me please
when is my order going to be sent
placed an order 10 days ago, still not dispatched, getting annoyed
so i bought a pair of headphones for my sons birthday which is this saturday and the order page has said processing since tuesday, i really need to know if its going to ship in time or not because otherwise i have to go buy something at the mall
whats happening with my order
my order hasnt left yet, why
can you confirm my order is being processed
order still in processing, help
is my package shipped or not
hey did you guys forget about my order lol
how long until my order ships
estimated ship date for my order?
order placed 2 weeks ago and still 'not shipped'
no shipping confirmation yet for my order
why hasnt my order been fulfilled
is order 55321 ready to ship
i want to know where my order is at
order status update please, order number ends in 771
my order shows unfulfilled
has anything happened with my order, its been quiet
i ordered the blue hoodie and nothing since
are you even going to ship my order
what stage is my order at
the app says my order is on hold, why
bruh where is my order
can i get a status on the order i placed yesterday
ordered 3 items, none of them shipped yet
my order is late, hasnt even been sent
when do orders usually ship? mine is still waiting
has the warehouse picked my order
order hasnt been processed, been 4 business days
is my order delayed
look up my order please, email is jen.k@mail.com
i need to know if my order is still coming
my purchase still says 'order received' after a week, is it actually being worked on or did it get lost in your system somewhere
status of order placed on the 3rd
"""

UTTERANCES["track_package"] = """
whats the tracking number for my delivery
can i get the tracking number for my package
where is my package right now
tracking says in transit for 6 days, is it lost
my tracking link doesnt work
the courier website says no info for my tracking number
package stuck at the sorting facility
it says delivered but i never got it
which courier is delivering my parcel
how do i track my shipment
tracking hasnt updated since tuesday
my parcel is stuck in customs
can u send me the tracking info again
delivery was supposed to be today, tracking says out for delivery since 8am
the tracking number you gave me isnt valid
where is my parcel, tracking shows nothing
package says delivered to mailbox but mailbox is empty
i got the shipped email but theres no tracking number in it
how can i see where my delivery is
my package has been at the local depot for 4 days
tracking status: exception. what does that mean
is my parcel lost in the mail
driver said he couldnt find my address, where is my package now
the package went back to the sender according to tracking??
when will my package arrive, tracking is vague
ups tracking shows label created only, nothing else
why is my shipment going the wrong direction on the map lol
trackin number pls
my parcel has been 'in transit' forever
hi, my order shipped on the 2nd with dhl and the tracking page hasnt moved in over a week, it just says 'shipment on hold'. i have no idea who to call, can you find out where it actually is?
package delayed, tracking says weather delay
can you check with the courier where my box is
the delivery guy marked it as delivered but nobody came
tracking says attempted delivery but i was home all day
what carrier did you use for my shipment
where can i find my tracking code
my parcel shows arrived at destination country 10 days ago
is there a way to get live tracking
tracking number ends in 4482, no updates
my package is missing, tracking says delivered yesterday
how long does delivery take after it says shipped
package seems stuck in transit, please help
the courier lost my package i think
tracking page error 404
my box is sitting in a warehouse in another city according to tracking
when is the delivery window for my package
the shipping company says they never received the parcel from you
dpd says my parcel is with a neighbour, which neighbour??
parcel tracking not updating
need the tracking for order 33021
i cant find my package, it says left at front door
hey so the tracking for my stuff says it was delivered at 2:14pm to 'reception' but i live in a house, there is no reception, so somebody else has my package and i want to know what you are going to do about it
is my shipment coming today
the parcel has been out for delivery 3 times and never arrives
where does it say which courier has my parcel
tracking shows it at the post office, can i pick it up
my package is taking way too long in transit
courier tracking says 'returned to depot'
shipment location?
tracking says delivered to wrong address
how do i follow my parcel
my delivery status hasnt changed in ages
package tracking frozen since it left the hub
"""

UTTERANCES["coupon_not_working"] = """
the coupon you emailed me wont work on sale items apparently?
voucher code gives 'unknown code'
my coupon code isnt working
the discount code says invalid
promo code WELCOME10 doesnt apply at checkout
why wont my voucher work
i have a 20% off code but it wont apply
coupon says expired but the email says its valid till sunday
the discount didnt come off my total
code not working at checkout!!
tried the promo code 5 times, error every time
how do i use my coupon, it keeps failing
the gift voucher wont redeem
coupon is not applicable to items in cart?? why
my birthday discount code doesnt work
your promo code is broken lol
free shipping code isnt working
entered the code but price stayed the same
it says 'this code cannot be combined with other offers' but i have no other offers
i got a voucher from your newsletter and it says invalid
discount code SUMMER25 error
cupon doesnt work
the 15% off from the ad wont apply to my order
coupon rejected at checkout
can you fix my discount code
hi, i got a code from your instagram giveaway and when i type it in at checkout it just says 'invalid code', i double checked the spelling and everything, can you make it work or give me another one?
why cant i apply my promo code
the voucher says minimum spend not reached but my cart is over 50
referral code not working
my coupon disappeared from the cart after i logged in
student discount code doesnt apply
the sale code only took off 5 dollars not 20%
code says already used but i never used it
cant redeem my gift card code
the first order discount wont work for me
promo code field gives an error
my voucher wont stack with the sale price?
discount not applied to my order even though i entered the code
black friday code not working anymore?
the coupon from the apology email doesnt work
i typed the code and nothing happened
why does it say my code is not valid for this product
coupon app error, cant use my discount
the loyalty voucher wont apply
your website wont accept my promo
my 10 dollar off coupon isnt being taken off
help my coupon code is not valid
promocode invalid???
entered the discount but the total didnt change, i already paid now, can i still get the discount?
the code in the abandoned cart email doesnt work
discount code expired too early
coupon keeps saying 'not eligible'
the welcome offer code wont apply on the app
my friend's referral discount isnt showing up
i was promised a coupon for the late delivery but the code doesnt work at all
so i have this voucher for 25 off that customer service gave me last month, and every time i go to use it, the checkout page spins and then says something went wrong, ive tried on my phone and laptop
the bundle discount isnt applying
the voucher says region not supported
coupon not recognized
can't use promo at checkout, pls help
coupon code broken again
the discount only works on full price items? my stuff isnt on sale tho
"""

UTTERANCES["return_request"] = """
i need to return these, how do i start
i want to return my order
how do i return an item
can i send this back
i need a return label
what is your return policy
i'd like to return the shoes i bought
how many days do i have to return something
want to return it, didnt like it
can u send me a prepaid return label
the jacket doesnt look like the pictures, i want to send it back
start a return for order 20931
how do returns work
returning an item bought on sale, is that allowed
i changed my mind, can i return it
where do i drop off my return
i want to return the whole order
can i return an opened item
return process?
do i have to pay for return shipping
i bought a lamp as a gift and they dont want it, return possible?
how do i send back something i bought online, do i need the original box
i would like to make a return please
retrun request
the dress didnt fit my style, return it
can i return to a store instead of mailing it
return window still open?
hi, i bought two phone cases and only need one, how do i return the other one without returning the full order
i need to return something, the return button on the site is greyed out
want to send back the blender, not what i expected
is it too late to return an item from last month
i lost the receipt can i still return
how do i print the return label
return my stuff please
the quality is bad, i want to return it
i want to return an item from a bundle
do you accept returns on electronics
can someone pick up my return from my house
i started a return but never got the label email
returning the headphones, how do i pack them
i'm not happy with the product and want to return it for my money back
can i return items i bought with a discount code
the return portal wont let me select my order
return policy for clearance items?
so i ordered a coffee table and honestly its way too big for my living room, it's still in the box, never assembled, how do i go about returning it since its pretty heavy and i dont have a car
i wanna send this back
return authorization number please
need to return a gift without the buyer knowing
can i return just one item from my order
is there a restocking fee if i return this
how long does a return take to process once you get it
i dropped the return at the post office, do i need to do anything else
return this order asap, it's not what i ordered on the photo
can i return underwear if its unopened
i bought the wrong model, i want to return it
how to return things bought through the app
i'd like a return label for a large item
send back a product that i dont need anymore
the item is fine i just dont want it anymore, return?
i want to return my purchase
return request for the red sneakers
can i still return it, i already threw out the packaging
"""

UTTERANCES["refund_status"] = """
any idea when my refund will land
it's been two weeks since you got my return, where's my refund
where is my refund
i returned my item 2 weeks ago and still no refund
when will i get my money back
refund status please
you received my return but i havent been refunded
how long do refunds take
my refund hasnt shown up on my card
the refund says processed but my bank shows nothing
still waiting for my refund
did you refund my cancelled order?
i was told i'd get a refund in 5 days, its been 12
refund not received
why did i only get a partial refund
has my refund been issued
money back still not here
refund for order 44120?
you guys owe me money, the return was delivered last week
when is my refund coming
i got an email saying refund approved, but where is the money
my paypal hasnt received the refund
hi, i sent back a pair of boots on the 4th, the tracking shows you got them on the 7th, and i still havent received any refund or even an email, can you tell me whats happening with it
how long until the refund hits my account
refund missing from bank statement
where's my money
i want to know the status of my refund
you charged me for a cancelled order and never refunded it
refund still pending after 3 weeks
the refund amount is wrong, shipping wasnt included
did the refund go to my gift card or my credit card
can you check if my refund went through
refund taking way too long
i need my refund asap, rent is due
got my return confirmation but no refund
my bank says there's no incoming refund from you
is my refund on the way
when do i get reimbursed
refund processing time?
i havent seen the refund yet
you refunded the wrong amount
refund to store credit instead of my card? i never asked for that
i cancelled before shipping, where is the refund
how do i check my refund status
refund hasnt arrived on my visa
the app shows refund completed but no money
why havent i been refunded yet
refund for the damaged vase, still nothing
my return was accepted, how long for the money
any news on my refund
so basically i returned the jacket almost a month ago, got a confirmation that it arrived, then an email saying the refund was on its way, and since then literally nothing, my bank says they see no pending transaction from your company at all
rfund status???
still no money back for order 8812
the refund went to an old card that is closed
is there a delay on refunds
my refund says initiated, what does that mean
i was promised a refund by your agent last week
you said 3-5 business days for my refund, its been 10
when will the refund for my returned shoes post
money for my return hasnt come back
i'm still waiting on that refund you promised
refund status for my cancelled order
"""

UTTERANCES["cancel_order"] = """
hold on, please cancel what i just ordered
is my cancellation confirmed? i asked yesterday
cancel my order
i want to cancel my order please
how do i cancel an order
can i still cancel, i just ordered 5 mins ago
please cancel order 72011
i ordered by mistake, cancel it
stop my order before it ships
cancel the order i placed yesterday
i need to cancel my purchase
can you cancel it, i found it cheaper elsewhere
i dont want this order anymore
the cancel button isnt showing up
cancel everything
how do i cancel if it already shipped
i accidentally ordered two, cancel one of them
pls cancel my order asap
i changed my mind about my order, cancel it
canel my order
cancel the subscription order too
is it too late to cancel
i want to cancel just one item from my order
double charged because i ordered twice, cancel the second order
hi, i placed an order for a tv this morning but my husband already bought one, could you please cancel mine before it goes out
cancel order and refund me
i need to stop the shipment of my order
want to cancel, the delivery date is too far away
how can i cancel an order on the app
cancelling my order
please dont ship my order, i want to cancel
order cancellation request
i ordered the wrong colour, just cancel it and i'll reorder
cancel my preorder
can i cancel my order and place a new one
why cant i cancel my order online
i dont need it anymore, please cancel
cancel order number 33912 thanks
abort my order lol
i'd like to cancel my recent purchase
can the order still be cancelled, it says processing
cancel it, im not waiting 3 weeks
get rid of my order please
so i ordered a stroller last night at like 2am and looking at it now it's the wrong model entirely, i havent gotten a shipping email yet so please cancel it if you still can
cancel my last order
i'd like to cancel the order before it ships
is there a fee to cancel an order
please cancel, the price dropped right after i bought it
cancel the whole thing
cancel my order, i used the wrong card
cancel order from this morning
i regret buying this, cancel please
i need to cancel an order i made for my company
please stop and cancel my delivery
cancel my order i made a mistake
how do i cancel my order from my account
can someone cancel my order, the app keeps crashing when i try
i want to back out of this order
cancel my order of the blue kettle
i made an order by accident while browsing, please cancel it
cancel all my pending orders
cancel plz
"""

UTTERANCES["change_address"] = """
i need the parcel delivered to my new apartment
can i update the shipping address, i'm moving next week
please change the street on my order to elm avenue
wrong address selected, please fix before dispatch
i gave you my old postcode
i need to change my shipping address
can i update the delivery address on my order
wrong address on my order
i moved, please change the address
how do i change the address after ordering
ship it to my work address instead
i typed my zip code wrong
can you send it to a different address
update address for order 12093
i made a typo in my street name
the apartment number is missing from my address
change delivery adress pls
i put my old address by mistake
can the courier deliver to my parents house instead
redirect my package to another address
how to edit my shipping address
my address is wrong on the order confirmation
need to fix my address before it ships
please change the city on my order
can i change where my order gets delivered
i'm going on vacation, can you ship to my hotel instead
the postcode on my order is wrong
hi, i just realised the order went to my old flat, i moved out in march, can you change it to my new place before it ships? the new address is 14 oak street
update my delivery address
i forgot to add the unit number
change address on my account and my current order
can i change the shipping address on an order thats already shipped
i want to ship to a pickup point instead of home
wrong house number in my address
please deliver to my neighbour's address
can you change the recipient address, it's a gift
address correction needed for my order
i selected the wrong saved address at checkout
the street name is spelled wrong on my order
change my shipping details
can you update the address, the courier can't find my place
deliver to my office please, not my home
edit address
i need my order to go somewhere else
my billing address got used as shipping address, need to change it
switch my order to a different address
how can i modify the delivery address
please correct my address to 221b baker street
address on order is outdated
so i ordered a gift for my sister and it's set to ship to my address but i actually wanted it to go straight to her in another state, is it possible to switch that before it goes out
i need to change the country on my shipping address
change addres for my last order
can i add a second address line to my order
wrong zip
the address autocomplete picked the wrong street
i want to change the delivery location
i entered my old dorm address, please update
please update my order with my new address
my address has changed since i ordered
send it to the address in my profile not the one on the order
can you change where it ships to
i wrote the wrong apartment, its 4b not 4d
"""

UTTERANCES["payment_failed"] = """
declined again?? my card works everywhere else
payment keeps bouncing
paying with mastercard fails every time
my payment failed
card declined at checkout
why was my payment declined
payment didnt go through
i keep getting a payment error
it says transaction failed but money left my account
paypal payment not working
my credit card wont go through
payment failed but i have enough money
checkout keeps rejecting my card
error processing payment
apple pay fails every time
my bank says the payment was blocked
i cant pay for my order
the payment page just spins and then errors out
card was charged but order says payment failed
why wont you accept my visa
payment declined code 05
cant complete purchase, payment issue
paymnt failed again
the 3d secure verification keeps failing
i tried 3 cards and none work
transaction was unsuccessful, what do i do
hi, i've been trying to buy the gaming chair for an hour, every time i hit pay it says 'payment could not be processed', my bank says everything is fine on their end, what's wrong?
my debit card keeps getting rejected
google pay not working on your site
the payment was authorised but the order didnt go through
payment error when using klarna
it says insufficient funds but thats not true
checkout failed at the payment step
the pay button doesnt work
card verification failed
can't pay with my amex
i got charged twice because the first payment showed failed
payment timed out
the otp for my payment never arrives so it fails
my order failed due to payment problem
why does my card keep failing on your website
payment method not accepted
unable to process my payment
i tried paying and it kicked me back to the cart
is there a problem with payments today
the card payment was refused
so i go to checkout, put in my card details, it asks for the code from my bank app, i approve it, and then your page says payment failed and to try again, this has happened four times now
payment keeps failing on mobile
paypal says error, try again later
error: payment declined by issuer
my gift card payment failed
i can't check out, payment error every time
bank transfer payment not recognised
my payment didn't work can you help
card got declined for no reason
why did the payment fail
the payment went through on my bank but your site says failed
cant buy anything, card wont work
payment failure at checkout, order not placed
transaction declined, i'm frustrated
my wallet payment isnt going thru
i need help with a failed payment
"""

UTTERANCES["invoice_request"] = """
is it possible to get an invoice addressed to my company
where's the receipt for my order
i need a receipt showing the vat
can you mail me a copy of the invoice
can i get an invoice for my order
i need a receipt
please send me the invoice
where can i download my invoice
i need a vat invoice for my company
can you add my company name to the invoice
invoice for order 60231 please
i didnt get a receipt by email
need a tax invoice
how do i get a copy of my receipt
please resend the invoice
the invoice has the wrong name on it
can i have an itemized receipt
i need the invoice for expenses
my accountant needs an invoice
where is the invoice for my purchase
can you issue an invoice with my vat number
send receipt to my work email
invoice please
i need proof of purchase for warranty
could you send me a pdf invoice
hi, i bought a laptop last month for my business and i need a proper invoice with our company address and tax id so i can claim it, the email receipt isnt enough, can you send one?
the invoice is missing from my account
invoice download button not working
recieve an invoice for my order?
i need a receipt for my reimbursement claim
can you change the billing address on my invoice
how to get invoice
i need an invoice that shows the tax separately
please email me a copy of the invoice
can i get invoices for all my orders this year
where do i find receipts in the app
i lost my receipt, can i get another
invoice request for a business purchase
the receipt doesnt show the discount i got
need a commercial invoice for customs
i need an official invoice not just the order confirmation
can you make the invoice out to my employer
my invoice has the wrong amount
send me the bill for my order
duplicate invoice please
i need a receipt to return something to my company
can you send a corrected invoice
hey i need a receipt with my name on it for insurance
where can i see my billing documents
invoice with company details needed
so my company reimburses equipment purchases but they need an invoice that has the order date, item list, price with tax split out and our company name, the one in my account only shows my personal name, can you fix that
gimme the receipt pls
i need the invoice in english
proof of payment for my order?
please generate an invoice for order 7812
the invoice attachment in the email is blank
invoice number for my purchase?
can i get a paper invoice in the box
need receipt asap for expense report
i never got an invoice after paying
can you send the invoice to my accountant directly
reciept for my last order please
"""

UTTERANCES["size_exchange"] = """
the trousers are too short, can i exchange them for a longer length
need a size smaller in the same colour
swap my medium for a large please
exchange the trainers for a 44
can i exchange these, the size is off
can i exchange for a different size
the shoes are too small, i need a bigger size
i need to swap my shirt for a medium
exchange size please
the jeans dont fit, can i get them in 32
too big, want a smaller size
how do i exchange an item for another size
can i swap these for a size up
the dress is too tight, exchange for large
wrong size, need to exchange it
i ordered an 8 but i need a 9
do you do size exchanges
can i change the size of my order
exchange my jacket for xl
the fit is off, i want the next size down
the boots run small, can i swap them
i want to exchange this for the same item in a different size
size exchange request for order 55012
i need a half size bigger
can i exchange instead of returning? wrong size
the sweater is huge on me, exchange for a small?
hi, the running shoes i got are a 10 and they pinch my toes, could i swap them for a 10.5 without paying shipping again?
these pants are too long, do you have a petite size to swap
exchange for size m
can i trade these in for a bigger size
the kids shoes are too small already, swap for next size
my ring doesnt fit, can i get a different size
exchange the hoodie for a 2xl
size doesnt fit, exchange pls
want to change size after delivery
the bra size is wrong, exchange
how long does a size exchange take
can i exchange my size if i already wore them once to try
i ordered the wrong size by mistake, can i switch it
this top is too small for my daughter, need to exchange it
the size chart was wrong, i need to exchange
can you send me a size 40 instead of 38
exchange these trainers for a smaller size
i got a large but i need a medium
swap size please
the gloves are too tight, exchange for large
so i ordered the winter coat in a small because the size guide said so but it's really tight across the shoulders, can i send it back and get a medium instead, and will you send the medium before you get the small back?
exchange for a different size, its too loose
do i need to pay for a size exchange
need to change the size of my shoes
is the bigger size in stock so i can exchange
can i exchange for a size that fits
the belt is too short, need a longer size
i need my shorts in a 34 instead
size swap for the jacket i received
these are two sizes too big
i would like to exchange for a smaller size please
my son grew, need the next size up for the jersey
exchange wrong size dress
the waist is too big, i need a size down
can you exchange my order for size 7
i want to exchange the sandals for a bigger size
"""

UTTERANCES["damaged_item"] = """
the box arrived ripped and the item is dented
my item arrived damaged
the product is broken
the box was crushed and the item inside is broken
my order came damaged
the screen is cracked on arrival
the glass was shattered when i opened the package
the mug came in pieces
item arrived broken what do i do
the package was soaking wet and the book is ruined
theres a big scratch on my new table
the phone doesnt turn on, came like that
the lamp arrived with a broken base
my parcel was damaged in delivery
got it today and it's dented
one of the plates is chipped
the zipper is broken on the jacket i just got
my chair arrived with a missing leg and a crack in the seat
the perfume bottle leaked everywhere
the item is defective out of the box
damaged goods received
it came broken, i want a replacement
hi, i just unpacked the mirror i ordered and there's a crack running right across it, the outer box looked fine so it must have happened in the warehouse, can you send me a new one?
the tv screen has dead pixels and a crack
the headphones only work on one side, brand new
my vase arrived smashed
the cake stand is chipped
the box was torn open and the product is scratched
the shirt has a hole in it
the charger doesnt work, its faulty
it's broken!!! just arrived
the book pages are torn
received a damaged item, need help
the speaker crackles and the casing is cracked
the handle snapped off the suitcase first use
the bike arrived with a bent wheel
there's a stain on the sofa cover i received
the eggs in my grocery order were all broken
the controller buttons are stuck, came defective
my item is damaged what can you do
broken on arrival
the watch glass is cracked
it arrived damaged, can i get a refund or new one
the toy arrived with missing pieces and a broken arm
i got a broken keyboard
the jar lid was broken and everything spilled
so the blender arrived yesterday, the box had a huge dent on the side and when i opened it the jug was cracked along the bottom, i didnt even try to use it because i'm scared it'll leak everywhere, what are my options?
the frame came with broken glass
my order was damaged by the courier
the item came scratched and dirty, looks used
the tablet screen is shattered
the table top is chipped at the corner
brokn item received
the dishes were smashed in shipping
my new shoes have a torn sole
delivery damaged my package and the product
the printer is broken, it came like that
my plant arrived dead and the pot smashed
the item has a manufacturing defect
the cable was cut when it arrived
damaged product in my order
the monitor stand is bent
"""

UTTERANCES["product_question"] = """
what's the return on the battery, how many hours
is this sofa fabric easy to clean
what size is the screen on the smaller model
is this jacket waterproof
what material is this shirt made of
does this phone case fit the iphone 15
is the blender dishwasher safe
what are the dimensions of the desk
does this come in black
is this item in stock
when will the red one be back in stock
does the laptop come with a charger
is this product vegan
how much does the sofa weigh
can i use this cream on sensitive skin
what size should i get, im usually a medium
is the watch water resistant
does the tv have hdmi 2.1
how many watts is the microwave
is this compatible with my samsung
does the camera come with a memory card
what's the warranty on this vacuum
is the backpack big enough for a 16 inch laptop
is this book the hardcover edition
hi, im looking at the standing desk on your site and i'm wondering if the motor is quiet enough for a shared office, and what's the max height? im 6'4
does the mattress come rolled in a box
are these headphones noise cancelling
how long does the battery last
is this toy safe for a 2 year old
whats the difference between the pro and the regular version
can this pan go in the oven
does the coffee machine use pods
is the ring real silver
do these shoes run true to size
can i machine wash this
will this charger work in europe
is the dress lined
how big is the pot, like in litres
does it include batteries
what colors does the hoodie come in
is this a genuine product or a copy
does this come assembled
does the tent fit 4 people
is the paint washable
whats the screen size on this tablet
is this safe for pets
does this dryer need a vent
what's the ingredient list for the protein powder
which model is better for gaming
does this lamp use a normal bulb
so i'm trying to decide between the two robot vacuums on your site, the x200 and the x300, i have mostly hardwood floors and two cats, does the more expensive one actually handle pet hair better or is it just the app features
is the fabric stretchy
can you tell me more about this product
is this available in size 12
does the printer do double sided
is it gluten free
how heavy is the stroller folded
does the kettle have auto shut off
are the earrings hypoallergenic
quick q, does this speaker have bluetooth
is there a bigger version of this bag
how many cups does the rice cooker make
"""

UTTERANCES["account_login"] = """
locked out of my account, help
the reset code doesnt work
i cant get into my profile
i cant log into my account
forgot my password
the password reset email never arrives
my account is locked
i keep getting 'invalid credentials'
how do i reset my password
cant sign in
the verification code isnt coming to my phone
my account got hacked
i cant access my account anymore
login page keeps loading forever
it says my email isnt registered but i have an account
two factor authentication not working
i changed my phone number and now i cant log in
how do i change my email on my account
the app logs me out every time
someone changed my password
i want to delete my account
reset password link expired
i made two accounts by mistake, can you merge them
cant login with google
my account was suspended, why
log in not working on the app
hi, i've been trying to log in for an hour, i reset my password twice and it still says wrong password, i'm sure i'm typing it right, can you unlock my account?
password reset not working
how do i change my username
i dont remember which email i used to sign up
account locked after too many attempts
login error 403
the otp code says invalid
signin issue
i cant log in with facebook anymore
someone else is using my account
my account shows someone elses orders??
i'm not getting the confirmation email to activate my account
can't create an account, says email already exists
how do i update my account details
logged out and now can't get back in
my login isn't working
i need help accessing my account
the captcha won't let me log in
forgot password link does nothing
so i got a new phone and the authenticator app was on the old one, now it keeps asking for the 6 digit code when i log in and i obviously don't have it, how do i get back into my account?
change password please
account verification failing
my profile page won't load after login
i lost access to the email on my account
login says 'something went wrong'
i want to close my account
suspicious login alert on my account, was that you guys?
can you reset my account
pasword reset pls
my account keeps saying session expired
i cant sign up, the form gives an error
how do i turn off two step verification
i think my account was compromised, orders i didnt make
my account email needs to change to my new one
unable to login on desktop, mobile works fine
why is my account disabled
"""

UTTERANCES["membership_points"] = """
points still not added from last week
what can i get with 2000 points
how many points do i have
my points didnt get added after my purchase
how do i use my reward points
my loyalty points disappeared
when do my points expire
how do i become a gold member
points balance?
i didnt get points for my last order
can i use points to pay for shipping
how many points do i need for a discount
my membership tier went down, why
what are the benefits of vip membership
the points from my return were taken away?
how do i join the rewards program
i should have double points this week but didnt get them
can i transfer points to my wife's account
my birthday bonus points never showed up
how much is one point worth
points not credited
i'm a member but didn't get the member price
hi, i've been a rewards member for 3 years and all of a sudden my points balance shows 0, i had over 4000 points saved for christmas shopping, where did they go?
how do i redeem my points at checkout
do points expire if i dont shop
what happened to my membership status
membership renewal question
how do i cancel my premium membership
reward points not showing in the app
i earned points in store but they're not in my account
can i get points for an old purchase
how to check my points
the points redemption failed
when do pending points become available
my points expired without warning
whats the difference between silver and gold tier
are there points for writing reviews
i was charged for membership but didnt get the perks
membership points?
rewards balance not updating
the app says i have 500 points but checkout says 0
how do i upgrade my membership
my member discount isnt applying
points for referring a friend never came
can i convert points to cash
why did i only get half the points
so i bought a bunch of stuff during the double points weekend, spent like 300, and i only got regular points, not double, and on top of that my tier didn't upgrade even though i should have passed the threshold with this order
i want to know my loyalty balance
loyalty card not linked to my account
how many points for a free item
do i keep my points if i change my email
is the membership worth it, what do i get
my points are pending for weeks
redeem points not working
member benefits question
how long do points take to show up
can i combine points and a coupon
points missing from my rewards account
what's my reward tier
lost points after my account update
my vip status expired, how to renew
how do points work
"""

UTTERANCES["talk_to_human"] = """
i want to speak to a person about my order
is there a human i can chat with
please connect me to customer support staff
i want to talk to a human
can i speak to a real person
connect me to an agent
is there a phone number i can call
this bot is useless, get me a person
transfer me to customer service
i need to talk to someone
live agent please
human please
can someone call me back
representative
agent
how do i reach a real customer service rep
let me speak to your manager
i dont want to talk to a robot
get me a real human being now
put me through to support
can i chat with a live person
are there any humans working there
speak to an operator
i need a person not a chatbot
your bot doesnt understand me, i want an agent
hi, i've been going around in circles with this chat for 20 minutes and it keeps giving me the same links, could you please just connect me with an actual person who can look at my account
call me please
what's your customer service number
i want to complain to a real person
escalate this to a human
talk to support staff
is anyone there? a real person?
i'd like to speak with a customer service representative
can i get a callback from your team
i want human help
connect me with a live chat agent
stop the bot, human
real person pls
need to speak with someone urgently
how do i contact your support team by phone
i want to speak to someone in charge
hand me over to an agent
can i talk to somebody about my problem
is there an email for a human in support
just give me a human
operator!!!
i need to speak to a supervisor
can a real agent look at this
this is going nowhere, let me talk to a person
okay so i've tried explaining my issue three times and the automated replies don't make sense at all, i'm not angry, i just need a human who can actually read what i'm writing
agent pls
are your agents available now
i want to talk to a customer care person
speak to human
transfer to a person please
can i have someone phone me
talk to a staff member
i'd rather talk to a person about this
let me speak to a live representative
need real support, not automated
connect me to someone who can help
humaaan
"""
